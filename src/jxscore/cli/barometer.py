"""`jxscore barometer`: the 晴雨表 of one period (RULEBOOK §10) — barometer.csv and barometer.pdf."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jxscore.cli.common import CRITERIA, DEBUG, OUT, YEAR, fail_on_errors

PERIOD = Annotated[str, typer.Option("--period", help="Q1, H1 or Q3: the year-to-date period of the progress table.")]
DATA = Annotated[Path, typer.Option(
    "--data", help="Folder with targets.csv and progress.csv, or one .xlsx with sheets of those names.")]
NO_PDF = Annotated[bool, typer.Option("--no-pdf", help="Only barometer.csv.")]


def barometer(year: YEAR, period: PERIOD, data: DATA, out: OUT, criteria: CRITERIA = None, no_pdf: NO_PDF = False,
              debug: DEBUG = False) -> None:
    """晴雨表: red/yellow/green per city from year-to-date figures (reads only targets and progress)."""
    from jxscore import service
    from jxscore.cli.common import echo_warnings

    with fail_on_errors(debug):
        opts = service.BarometerOptions(year, period, data, criteria, pdf=not no_pdf)
        run = service.save(service.barometer(opts), out)
    echo_warnings(run.warnings)
    echo_barometer(run.barometer)
    typer.echo(f"Wrote {out}/" + ", ".join(run.files) + f" (input hash {run.input_hash[:12]}).")


def echo_barometer(b) -> None:
    """The period's table as the office reads it: reduction, gap, growth against the allowed, levels, advice."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from jxscore.core.barometer import LEVELS, PERIOD_NAMES

    t = Table("设区市", "强度降低%", "目标%", "差距", "强度", "增速%", "允许%", "总量", "等级", "建议",
              title=f"{b.year}年{PERIOD_NAMES[b.period]}节能减排晴雨表")
    for _, r in b.table.iterrows():
        t.add_row(*(Text(s) for s in (
            r["city"], f"{100 * r['r']:.2f}", f"{r['A1_annual']:.2f}", f"{r['gap']:.2f}", r["level_intensity"],
            f"{100 * r['G']:.2f}", f"{100 * r['g_star']:.2f}", r["level_total"], r["level"], r["advice"])))
    Console(width=220).print(t)
    typer.echo("  ".join(f"{lv} {b.count(lv)}" for lv in LEVELS))
