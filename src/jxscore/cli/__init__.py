"""Command line: a thin layer over jxscore.service. Heavy libraries load inside the commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .common import ALLOW_MISSING, CRITERIA, DATA, DEBUG, OUT, YEAR, fail_on_errors, opts

app = typer.Typer(
    name="jxscore",
    help="设区市节能减排目标责任评价考核 — score, grade, rank and explain (jxscore).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def validate(year: YEAR, data: DATA, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False,
             debug: DEBUG = False) -> None:
    """Check every input file and list all problems in one table (exit 2 if any)."""
    from .. import service
    from .common import echo_warnings

    with fail_on_errors(debug):
        inputs = service.validate(opts(year, data, criteria, allow_missing))
    echo_warnings(inputs.warnings)
    typer.echo(f"OK: {data} is valid for {year} ({len(inputs.values)} cities).")


@app.command()
def score(year: YEAR, data: DATA, out: OUT, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False,
          debug: DEBUG = False) -> None:
    """Score the cities: scores.csv, ledger.csv, manifest.json and results.xlsx in OUT."""
    from .. import service
    from .common import echo_ranking, echo_warnings

    with fail_on_errors(debug):
        result, man = service.score_to(opts(year, data, criteria, allow_missing), out)
    echo_warnings(result.warnings)
    echo_ranking(result)
    typer.echo(f"Wrote {out}/scores.csv, ledger.csv, manifest.json, results.xlsx (input hash {man['input_hash'][:12]}).")


@app.command()
def template(year: YEAR, out: Annotated[Path, typer.Option("--out", help="Workbook to write (.xlsx).")],
             criteria: CRITERIA = None, debug: DEBUG = False) -> None:
    """Write a blank reporting workbook (energy, indicators, targets sheets) for the cities and the office."""
    from ..criteria import load_criteria
    from ..resources import default_criteria_path
    from ..template import write_template

    with fail_on_errors(debug):
        crit = load_criteria(criteria or default_criteria_path())
        write_template(crit, year, out)
    typer.echo(f"Wrote {out}")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
from . import report  # noqa: E402,F401
from . import analysis  # noqa: E402,F401
