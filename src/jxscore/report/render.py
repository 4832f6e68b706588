"""Orchestration: score, build plain contexts, render 11 scorecards + the summary in parallel.

The worker pool starts before scoring (Renderer; for `jxscore report` its fork server is started
even before the CLI is imported, jxscore.report.pool): the fork server imports and warms WeasyPrint
once, the workers are forked from it while the parent scores; each worker then renders several
documents. Each card's context is built, its charts drawn (small hand-written SVGs:
jxscore.report.charts, jxscore.report.jxmap) and the job handed over one card at a time, so the
first card renders while the rest are built. Everything lands in a staging folder (jxscore.atomic),
so a failed run leaves the previous results untouched.
"""

from __future__ import annotations

import functools
import gc
import importlib.abc
import importlib.util
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from jxscore.report.pool import FORK_SERVER_PREP, PRELOAD
from jxscore.resources import templates_dir


@dataclass(frozen=True)
class Job:
    """One document: which template, its context (plain data), where it goes (relative to OUT)."""

    template: str
    context: dict
    pdf: str  # e.g. "scorecards/nanchang.pdf"
    html: str | None = None
    date: str | None = None  # PDF dates, fixed by the parent (workers may have an older environment)
    index: int = 0  # place in the criteria's order of cities (the summary lists the cards in it)


@functools.cache
def environment():
    """One Jinja environment per process (templates compiled once): autoescaping on (also for
    *.html.j2), StrictUndefined, package templates; block tags leave no blank lines behind."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    return Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=True,
                       undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True,
                       lstrip_blocks=True)


CARD_MAP_W, SUMMARY_MAP_W = 62.0, 170.0  # pt: the card's locator map, the summary's grade map


def add_charts(ctx: dict) -> dict:
    """The context plus SVG data: URLs of its charts, drawn from plain data (a context that has them
    already is returned as it is: Renderer.start draws them in the parent)."""
    if "charts" in ctx:
        return ctx
    from jxscore.report import charts, jxmap

    if ctx["kind"] == "scorecard":
        name = ctx["city"]["name"]
        ch = {"categories": charts.categories_chart(ctx["categories"], name),
              "intensity": charts.intensity_chart(ctx["intensity"], name),
              "ranking": charts.ranking_chart(ctx["ranking"], name),
              "map": jxmap.province_map({ctx["city"]["code"]: charts.RED}, labels=False, w=CARD_MAP_W)}
    else:
        colour = dict(zip(ctx["grade_names"], charts.GRADE_COLOURS))
        ch = {"grades": charts.grades_chart(ctx["grades"]), "heat": charts.heatmap_chart(ctx["heat"]),
              "map": jxmap.province_map({r["code"]: colour[r["grade"]] for r in ctx["ranking"]},
                                        names={r["code"]: r["city"] for r in ctx["ranking"]},
                                        legend=[(g, colour[g]) for g in ctx["grade_names"]], w=SUMMARY_MAP_W)}
    return {**ctx, "charts": ch}


# Note segments that only restate the target and actual columns ("实际22.5%", "目标24%", "完成700吨").
_RESTATED = re.compile(r"^(实际|完成|目标)-?[0-9][0-9,.]*\S{0,6}$")


def short_note(note: str) -> str:
    """A ledger note without the clauses that repeat the row's target/actual columns.

    "实际22.5%，目标24%，完成率93.8%" → "完成率93.8%"; anything else is kept as written.
    """
    parts = note.split("，")
    kept = [p for p in parts if not _RESTATED.match(p)]
    return "，".join(kept) if kept and len(kept) < len(parts) else note


def card_layout(ctx: dict) -> dict:
    """Presentation-only additions for the scorecard template (nothing here changes a score):
    shortened notes, a `lost` mark on the indicator rows that lost points, and the losses beyond the
    改进建议 sentences laid out in two side-by-side columns (largest first, down the left column,
    then the right)."""
    lost_codes = {d["code"] for d in ctx["lost"]}
    cats = [{**c, "indicators": [{**i, "note": short_note(i["note"]), "lost": i["code"] in lost_codes}
                                 for i in c["indicators"]]} for c in ctx["categories"]]
    lost = ctx["lost"][len(ctx["improve"]["sentences"]):]
    per = (len(lost) + 1) // 2 if len(lost) > 6 else len(lost)
    rows = [lost[i::per] for i in range(per)] if lost else []  # [i, i + per]: two columns, or one when short
    return {**ctx, "categories": cats, "lost_rows": rows}


def render_html(template: str, ctx: dict, *, charts: dict | None = None) -> str:
    """A self-contained HTML page (CSS inlined, charts as data: URLs).

    `charts` replaces the drawn charts (snapshot tests pin the HTML without the chart bytes).
    """
    full = add_charts(ctx) if charts is None else {**ctx, "charts": charts}
    if full["kind"] == "scorecard":
        full = card_layout(full)
    return environment().get_template(template).render(**full)


def render_job(job: Job, out: Path) -> str:
    """Render one document into `out` (the staging folder); returns its relative PDF path."""
    from jxscore.report.pdf import html_to_pdf

    html = render_html(job.template, job.context)
    (out / job.pdf).parent.mkdir(parents=True, exist_ok=True)
    if job.html:
        (out / job.html).write_text(html, encoding="utf-8")
    ident = f"{job.context['meta']['input_hash'][:20]}:{job.pdf}"
    html_to_pdf(html, out / job.pdf, identifier=ident, date=job.date)
    _after_document()
    return job.pdf


def _marked(mark) -> dict:
    """The context entry of a 公示稿 `mark` (jxscore.report.announce.Mark); none without one, so the
    contexts (and so the documents) are exactly as without the option."""
    if mark is None:
        return {}
    from jxscore.report.announce import mark_context

    return {"mark": mark_context(mark)}


def _lost_rows(result) -> dict[str, int]:
    """city → ledger rows that lost points: the rough size of its card's 失分 section, known before
    its context is built (render order only)."""
    led = result.ledger
    lost = (led["weight"].astype(float) - led["points"].astype(float)) > 0.005
    return lost.groupby(led["city"]).sum().astype(int).to_dict()


def card_jobs(result, inputs, manifest: dict, *, html: bool = False, history=None, mark=None,
              date: str | None = None) -> Iterator[Job]:
    """The 11 scorecards, each built when asked for (so the first can render while the next is built),
    the cards with the most 失分 rows first, so no long one starts last; with a `history`
    (jxscore.analysis.history.History) each card gets its 历年考核结果 section, with a `mark` the
    公示稿 mark on every page."""
    from jxscore.report import context
    from jxscore.report.pdf import pdf_date

    date = date or pdf_date()
    marked = _marked(mark)
    shared = context.Shared.of(result)
    ents = list(enumerate(result.criteria.entities))
    size = _lost_rows(result)
    for k, e in sorted(ents, key=lambda ke: -size.get(ke[1].name, 0)):
        ctx = context.scorecard(result, inputs, manifest, e.name, history=history, shared=shared)
        yield Job("scorecard.html.j2", {**ctx, **marked}, f"scorecards/{e.slug}.pdf",
                  f"scorecards/{e.slug}.html" if html else None, date, k)


def summary_job(result, manifest: dict, *, html: bool = False, mark=None, date: str | None = None) -> Job:
    """The provincial summary (its card hashes are added once the cards are written: with_hashes)."""
    from jxscore.report import context
    from jxscore.report.pdf import pdf_date

    return Job("summary.html.j2", {**context.summary(result, manifest), **_marked(mark)}, "summary.pdf",
               "summary.html" if html else None, date or pdf_date(), len(result.criteria.entities))


def jobs_for(result, inputs, manifest: dict, *, html: bool = False, history=None, mark=None) -> list[Job]:
    """Every document: the 11 scorecards in the criteria's order, then the provincial summary, all
    with the same PDF date (card_jobs and summary_job, as one list)."""
    from jxscore.report.pdf import pdf_date

    date = pdf_date()
    cards = sorted(card_jobs(result, inputs, manifest, html=html, history=history, mark=mark, date=date),
                   key=lambda j: j.index)
    return cards + [summary_job(result, manifest, html=html, mark=mark, date=date)]


def card_hashes(cards: list[Job], out: Path) -> list[dict]:
    """The SHA-256 of each card's PDF as written into `out` (criteria order): the summary's hash list."""
    import hashlib

    return [{"city": j.context["city"]["name"], "file": j.pdf,
             "sha256": hashlib.sha256((out / j.pdf).read_bytes()).hexdigest()}
            for j in sorted(cards, key=lambda j: j.index)]


def with_hashes(job: Job, hashes: list[dict], *, signed: bool = False) -> Job:
    """The summary job with the cards' hashes in its context."""
    from dataclasses import replace

    return replace(job, context={**job.context, "hashes": hashes, "signed": signed})


WARM_HTML = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>{css}</style></head>
<body><div class="runhead">预热</div><h2>预热</h2><table class="detail"><thead><tr><th>指标</th></tr></thead>
<tbody><tr><td class="n">0.00 / 1.00</td></tr></tbody></table><img src="{svg}"></body></html>"""


_warmed = False  # this process (or the fork server it was forked from) has run warm()


def warm() -> None:
    """Compile the templates, open the shared font configuration and set one tiny page (the CJK
    face, a table, an SVG text) so the first real document does not pay for loading fonts and code
    paths; then freeze what is alive, so the collector's full passes skip it. Once per process:
    workers forked from a prepared fork server (prepare_fork_server) inherit it done."""
    global _warmed
    if _warmed:
        return
    from jxscore.report import charts, pdf

    env = environment()
    for name in ("scorecard.html.j2", "summary.html.j2"):
        env.get_template(name)
    svg = charts.Svg(20, 10)
    svg.text(1, 8, "预热 1.0")
    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    pdf.html_to_pdf(WARM_HTML.format(css=css, svg=svg.url()), identifier="warm")
    gc.collect()
    gc.freeze()
    _warmed = True


def import_weasyprint() -> None:
    """`import weasyprint`, without the ~0.15 s (and ~14 compiler runs) it spends on Linux asking
    ctypes.util.find_library for library names that do not exist there.

    WeasyPrint opens each library by trying several names (Windows and macOS ones first, the Linux
    soname, e.g. libpango-1.0.so.0, after them); cffi hands every name without a path to
    find_library, which on Linux runs `ldconfig -p` and then gcc and ld for each name it does not
    know. During this import find_library answers "not found" at once, so the names that are
    not files fail immediately and the sonames load as before, by the dynamic linker. Should that
    fail (a system with other sonames), the import is simply repeated with the real find_library.
    """
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint  # noqa: F401
        return
    import ctypes.util

    real = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        import weasyprint  # noqa: F401
        return
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
    finally:
        ctypes.util.find_library = real
    import weasyprint  # noqa: F401,F811


def prepare_fork_server() -> None:
    """Run once in the fork server (see FORK_SERVER_PREP): WeasyPrint imported and warm() done
    there, so every worker forked from it starts with fonts loaded and code paths run."""
    import_weasyprint()
    warm()


def warm_worker() -> None:
    """Pool initializer, run while the parent is still scoring and writing: warm() unless the fork
    server already did, then the collector settings for rendering."""
    warm()
    # A document leaves ~35k objects in reference cycles (boxes, styles, cffi handles): the cyclic
    # collector cost ~35 ms of a card's ~270 ms, and collecting them after each card as much. A worker
    # lives for one report and leaves by os._exit (no final collection), so it runs without the
    # collector and collects only every _GC_EVERY documents (~7 MB of garbage each) to bound memory.
    global _collect_every
    gc.disable()
    _collect_every = _GC_EVERY


_GC_EVERY = 16
_collect_every = 0  # set in pool workers (warm_worker): collect after every N-th document
_rendered = 0


def _after_document() -> None:
    global _rendered
    _rendered += 1
    if _collect_every and _rendered % _collect_every == 0:
        gc.collect()


def plain(value):
    """`value` with every numpy scalar inside its dicts, lists and tuples made the Python one (np.str_
    → str, np.float64 → float, …; same text on the page): a worker unpickling a job then never
    imports numpy (~0.07 s, which the summary's worker paid after the last card)."""
    if type(value) is dict:
        return {k: plain(v) for k, v in value.items()}
    if type(value) in (list, tuple):
        return type(value)(plain(v) for v in value)
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return value.item()
    return value


def with_charts(jobs: list[Job]) -> list[Job]:
    """The jobs with their charts drawn here (add_charts) and plain contexts (plain). Run in the parent
    while the pool starts: the map boundaries (~0.2 s to read and project) are then read here, where
    the parent would wait for the workers, instead of in the fork server, whose start-up is what the
    first document waits for."""
    from dataclasses import replace

    return [replace(j, context=plain(add_charts(j.context))) for j in jobs]


def _noop() -> None:
    return None


class _ForkServerPrep(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name == FORK_SERVER_PREP else None

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        prepare_fork_server()


if not any(isinstance(f, _ForkServerPrep) for f in sys.meta_path):
    sys.meta_path.append(_ForkServerPrep())

class Renderer:
    """A pool of pre-warmed workers; start it early (before scoring) so their start-up overlaps it.

    Where the platform has it, the workers come from a fork server that imports WeasyPrint once
    (PRELOAD) and forks each worker from there, so the ~0.5 s import is paid once, not once per
    worker, and never in this process (forking the workers from here instead made them import
    while this process scores: three processes on two cores). Starting the server blocks until
    it has imported, so the pool is started from a helper thread (it only waits on a socket).
    Each worker then runs `warm_worker` before its first document. As with any non-fork start
    method, a script that calls this must keep its top level behind `if __name__ == "__main__":`.
    """

    def __init__(self, jobs: int | None = None):
        self.n = max(1, jobs or os.cpu_count() or 1)
        self.pool = None
        self._starter = None
        self._error: BaseException | None = None
        self._out = Path()
        self._local: list[Job] = []  # no pool (one process): rendered here by wait()
        self._pending: list[Job] = []  # ready before the pool was up: the starter submits them
        self._futs: list = []
        self._lock = None
        if self.n > 1:
            import threading

            self._lock = threading.Lock()
            self._starter = threading.Thread(target=self._start, name="jxscore-render-pool", daemon=True)
            self._starter.start()

    def _start(self) -> None:
        try:
            pool = self._make_pool()
        except BaseException as exc:  # re-raised in the caller's thread by _ready()
            self._error = exc
            return
        with self._lock:
            self.pool = pool
            try:
                for job in self._pending:  # start() came first: submit now, while the caller draws and writes
                    self._submit(job)
            except BaseException as exc:  # re-raised by wait()
                self._error = exc
            self._pending = []

    def _submit(self, job: Job) -> None:
        self._futs.append(self.pool.submit(render_job, job, self._out))

    def _make_pool(self):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = None  # elsewhere (Windows): the platform's default, spawn
        if "forkserver" in mp.get_all_start_methods():
            ctx = mp.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
        pool = ProcessPoolExecutor(max_workers=self.n, mp_context=ctx, initializer=warm_worker)
        for _ in range(self.n):  # one submit per worker: a busy (warming) pool spawns the next one
            pool.submit(_noop)
        return pool

    def _ready(self):
        if self._starter is not None:
            self._starter.join()
            self._starter = None
        if self._error is not None:
            err, self._error = self._error, None
            raise err
        return self.pool

    def _offer(self, job: Job) -> None:
        if self._lock is None:
            self._local.append(job)
            return
        with self._lock:
            if self.pool is not None:
                self._submit(job)
            elif self._error is None:
                self._pending.append(job)

    def start(self, jobs: Iterable[Job], out: Path) -> list[Job]:
        """Hand `jobs` (in the order given: put long ones first) to the workers for `out`; returns them
        as handed over (charts drawn), once all are; collect the PDFs with wait().

        Each job's charts are drawn here (with_charts) and the job goes to the workers at once, so the
        first document renders while the next is built and drawn (`jobs` may be a generator: card_jobs).
        If the pool is still starting, the jobs wait in a list that the starter thread submits the moment
        it is up. The caller can write other files meanwhile: the workers are rendering, not waiting.
        """
        self._out, self._futs, self._local = Path(out).resolve(), [], []  # workers' cwd is the fork server's
        handed = []
        for job in jobs:
            handed.append(with_charts([job])[0])
            self._offer(handed[-1])
        return handed

    def wait(self, on_done: Callable[[str], None] | None = None) -> list[str]:
        """The relative PDF paths of the started jobs once all are written (in-process without a pool)."""
        done: list[str] = []
        if self._lock is None:
            for job in self._local:
                done.append(render_job(job, self._out))
                if on_done:
                    on_done(job.pdf)
            self._local = []
            return done
        self._ready()  # the starter has submitted the pending jobs (or failed: raised here)
        from concurrent.futures import as_completed

        for fut in as_completed(self._futs):
            done.append(fut.result())
            if on_done:
                on_done(done[-1])
        self._futs = []
        return sorted(done)

    def run(self, jobs: Iterable[Job], out: Path, on_done: Callable[[str], None] | None = None) -> list[str]:
        """start() + wait()."""
        self.start(jobs, out)
        return self.wait(on_done)

    def close(self) -> None:
        if self._starter is not None:  # a start-up error is dropped here: close() also runs on errors
            self._starter.join()
            self._starter = None
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Renderer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
