"""`jxscore report`: score, then a PDF scorecard per city and the provincial summary."""

from __future__ import annotations

from typing import Annotated

import typer

from jxscore.cli.common import (
    ALLOW_MISSING,
    CRITERIA,
    DATA,
    DEBUG,
    OUT,
    YEAR,
    echo_ranking,
    echo_warnings,
    fail_on_errors,
    opts,
)

HTML = Annotated[bool, typer.Option("--html", help="Also write each document as a self-contained HTML page.")]
JOBS = Annotated[int | None, typer.Option("--jobs", min=1, help="Parallel render processes (default: CPU count).")]


def report(year: YEAR, data: DATA, out: OUT, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False,
           html: HTML = False, jobs: JOBS = None, debug: DEBUG = False) -> None:
    """Score and render OUT/scorecards/<slug>.pdf for every city and OUT/summary.pdf (atomically)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from jxscore import service

    progress = Progress(TextColumn("渲染 {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        transient=True)
    task = None

    def started(n: int) -> None:
        nonlocal task
        task = progress.add_task("PDF", total=n)

    def done(name: str) -> None:
        progress.update(task, advance=1, description=name)

    with fail_on_errors(debug), progress:
        run = service.report(opts(year, data, criteria, allow_missing), service.ReportOptions(html=html, jobs=jobs),
                             out, on_start=started, on_done=done)
    echo_warnings(run.warnings)
    echo_ranking(run.score.result)
    pdfs = [f for f in run.files if f.endswith(".pdf")]
    typer.echo(f"Wrote {out}/scores.csv, ledger.csv, manifest.json, results.xlsx and {len(pdfs)} PDFs "
               f"({len(pdfs) - 1} scorecards in {out}/scorecards/, summary.pdf; "
               f"input hash {run.score.manifest['input_hash'][:12]}).")
