"""Orchestration: score, build plain contexts, render 11 scorecards + the summary in parallel.

Workers are forked early and import WeasyPrint and matplotlib in their initializer while the
parent scores, so the import cost is paid once per core and overlaps the scoring; each worker
then renders several documents. Everything lands in a staging folder (jxscore.atomic), so a
failed run leaves the previous results untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from jxscore.resources import templates_dir


@dataclass(frozen=True)
class Job:
    """One document: which template, its context (plain data), where it goes (relative to OUT)."""

    template: str
    context: dict
    pdf: str  # e.g. "scorecards/nanchang.pdf"
    html: str | None = None


def environment():
    """Jinja with autoescaping on (also for *.html.j2) and StrictUndefined, loading package templates."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True)


def add_charts(ctx: dict) -> dict:
    """The context plus SVG data: URLs of its charts (drawn here, in the worker, from plain data)."""
    from jxscore.report import charts

    if ctx["kind"] == "scorecard":
        name = ctx["city"]["name"]
        ch = {"categories": charts.categories_chart(ctx["categories"], name),
              "intensity": charts.intensity_chart(ctx["intensity"], name),
              "ranking": charts.ranking_chart(ctx["ranking"], name)}
    else:
        ch = {"grades": charts.grades_chart(ctx["grades"]), "heat": charts.heatmap_chart(ctx["heat"])}
    return {**ctx, "charts": ch}


def render_html(template: str, ctx: dict, *, charts: dict | None = None) -> str:
    """A self-contained HTML page (CSS inlined, charts as data: URLs).

    `charts` replaces the drawn charts (snapshot tests pin the HTML without matplotlib's bytes).
    """
    full = add_charts(ctx) if charts is None else {**ctx, "charts": charts}
    return environment().get_template(template).render(**full)


def render_job(job: Job, out: Path) -> str:
    """Render one document into `out` (the staging folder); returns its relative PDF path."""
    from jxscore.report.pdf import html_to_pdf

    html = render_html(job.template, job.context)
    (out / job.pdf).parent.mkdir(parents=True, exist_ok=True)
    if job.html:
        (out / job.html).write_text(html, encoding="utf-8")
    ident = f"{job.context['meta']['input_hash'][:20]}:{job.pdf}"
    html_to_pdf(html, out / job.pdf, identifier=ident)
    return job.pdf


def jobs_for(result, inputs, manifest: dict, *, html: bool = False) -> list[Job]:
    """11 scorecards (criteria order) and the provincial summary."""
    from jxscore.report import context

    jobs = []
    for e in result.criteria.entities:
        ctx = context.scorecard(result, inputs, manifest, e.name)
        jobs.append(Job("scorecard.html.j2", ctx, f"scorecards/{e.slug}.pdf",
                        f"scorecards/{e.slug}.html" if html else None))
    jobs.append(Job("summary.html.j2", context.summary(result, manifest), "summary.pdf",
                    "summary.html" if html else None))
    return jobs


def warm_worker() -> None:
    """Pool initializer: pay the heavy imports and the font setup once per worker process."""
    import weasyprint  # noqa: F401
    from weasyprint.text.fonts import FontConfiguration  # noqa: F401

    from jxscore.report import charts

    charts.cjk_matplotlib()
    environment().get_template("scorecard.html.j2")


def _noop() -> None:
    return None


class Renderer:
    """A pool of pre-warmed workers; start it early (before scoring) so imports overlap the work."""

    def __init__(self, jobs: int | None = None):
        self.n = max(1, jobs or os.cpu_count() or 1)
        self.pool = None
        if self.n > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
            self.pool = ProcessPoolExecutor(max_workers=self.n, mp_context=ctx, initializer=warm_worker)
            self.pool.submit(_noop)  # forks the workers now; they warm up while the parent scores

    def run(self, jobs: list[Job], out: Path, on_done: Callable[[str], None] | None = None) -> list[str]:
        done: list[str] = []
        if self.pool is None:
            for job in jobs:
                done.append(render_job(job, out))
                if on_done:
                    on_done(job.pdf)
            return done
        from concurrent.futures import as_completed

        # the summary (widest) first, then cards: the longest job should not start last
        futs = [self.pool.submit(render_job, job, out) for job in sorted(jobs, key=lambda j: j.template != "summary.html.j2")]
        for fut in as_completed(futs):
            done.append(fut.result())
            if on_done:
                on_done(done[-1])
        return sorted(done)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
