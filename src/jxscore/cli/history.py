"""`jxscore history`: every year of the plan period side by side (RULEBOOK §11) — history.csv, history.pdf."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jxscore.cli.common import CRITERIA, DEBUG, OUT, fail_on_errors

DATA = Annotated[Path, typer.Option(
    "--data", help="Folder with one input folder or .xlsx per year, named by the year (DIR/2021, DIR/2022, …).")]
NO_PDF = Annotated[bool, typer.Option("--no-pdf", help="Only history.csv.")]


def history(data: DATA, out: OUT, criteria: CRITERIA = None, no_pdf: NO_PDF = False, debug: DEBUG = False) -> None:
    """历年考核结果: score every year folder with the same engine; history.csv and history.pdf in OUT."""
    from jxscore import service
    from jxscore.cli.common import echo_warnings

    with fail_on_errors(debug):
        run = service.save(service.history(service.HistoryOptions(data, criteria, pdf=not no_pdf)), out)
    echo_warnings(run.warnings)
    echo_history(run.history)
    typer.echo(f"Wrote {out}/" + ", ".join(run.files) + f" (input hash {run.history.input_hash[:12]}).")


def echo_history(h) -> None:
    """Cities × years: grade, rank and total of each year."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table("设区市", *(str(y) for y in h.years), title="历年考核结果（等级 名次 总分）")
    cells = {(int(r.year), r.city): r for r in h.table.itertuples(index=False)}
    for e in h.criteria.entities:
        row = [e.name]
        for y in h.years:
            r = cells.get((y, e.name))
            row.append("—" if r is None else f"{r.grade} {int(r.rank)} {r.total:.2f}")
        t.add_row(*(Text(s) for s in row))
    Console(width=60 + 22 * len(h.years)).print(t)
    verdicts = h.verdicts()
    if verdicts:
        typer.echo(f"{h.final_year}年规划期结论（十四五能耗强度降低目标 / 激励目标）：" + "；".join(
            f"{v.city} {v.basic}/{v.incentive}" for v in verdicts))
