"""`jxscore report`: score, then a PDF scorecard per city and the provincial summary."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from . import app
from .common import ALLOW_MISSING, CRITERIA, DATA, DEBUG, OUT, YEAR, echo_ranking, echo_warnings, fail_on_errors, opts

HTML = Annotated[bool, typer.Option("--html", help="Also write each document as a self-contained HTML page.")]
JOBS = Annotated[Optional[int], typer.Option("--jobs", min=1, help="Parallel render processes (default: CPU count).")]


@app.command()
def report(year: YEAR, data: DATA, out: OUT, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False,
           html: HTML = False, jobs: JOBS = None, debug: DEBUG = False) -> None:
    """Score and render OUT/scorecards/<slug>.pdf for every city and OUT/summary.pdf (atomically)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..report.render import report_to

    progress = Progress(TextColumn("渲染 {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        transient=True)
    task = None

    def started(n: int) -> None:
        nonlocal task
        task = progress.add_task("PDF", total=n)

    def done(name: str) -> None:
        progress.update(task, advance=1, description=name)

    with fail_on_errors(debug), progress:
        result, man, pdfs = report_to(opts(year, data, criteria, allow_missing), out, html=html, jobs=jobs,
                                      on_start=started, on_done=done)
    echo_warnings(result.warnings)
    echo_ranking(result)
    typer.echo(f"Wrote {out}/scores.csv, ledger.csv, manifest.json, results.xlsx and {len(pdfs)} PDFs "
               f"({len(pdfs) - 1} scorecards in {out}/scorecards/, summary.pdf; input hash {man['input_hash'][:12]}).")
