"""`jxscore diff`: what moved between two `jxscore score` runs of one year — printed, or diff.csv with --out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jxscore.cli.common import DEBUG, fail_on_errors

FROM = Annotated[Path, typer.Option("--from", help="Output folder of the earlier `jxscore score` run.")]
TO = Annotated[Path, typer.Option("--to", help="Output folder of the later run (same year, same criteria).")]
OUT = Annotated[Path | None, typer.Option("--out", help="Folder to write diff.csv into (atomically); "
                                                        "without it nothing is written.")]


def diff(old: FROM, new: TO, out: OUT = None, debug: DEBUG = False) -> None:
    """两次评分比较: every city whose total, grade or rank moved and every ledger row that changed."""
    from jxscore import service

    with fail_on_errors(debug):
        run = service.diff(service.DiffOptions(old, new))
        if out is not None:
            run = service.save(run, out)
    echo_diff(run.diff)
    if out is not None:
        typer.echo(f"Wrote {out}/" + ", ".join(run.files))


def _n(v: float | None, digits: int | None = None) -> str:
    if v is None:
        return "—"
    return f"{v:.{digits}f}" if digits is not None else f"{v:.10g}"


def _pair(old: str, new: str) -> str:
    return old if old == new else f"{old or '—'} → {new or '—'}"


def echo_diff(d) -> None:
    """The moved cities, then the changed ledger rows (old → new), in Chinese."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from jxscore.cli.common import lang
    from jxscore.i18n import text
    from jxscore.io.writers import LEDGER_HEADERS, SCORES_HEADERS

    if d.unchanged:
        typer.echo(text("ui.diff_none", lang()))
        return
    typer.echo(text("ui.diff_summary", lang(), year=d.year if d.year is not None else "", old=d.input_hash_old[:12],
                    new=d.input_hash_new[:12], cities=len(d.cities), rows=len(d.rows)))
    console = Console(width=200)
    if d.cities:
        t = Table("设区市", "总分", "等级", "名次", "一票否决", "等级封顶", title="总分、等级或名次有变化的设区市")
        for c in d.cities:
            t.add_row(*(Text(s) for s in (
                c.city, _pair(_n(c.total_old, 2), _n(c.total_new, 2)), _pair(c.grade_old, c.grade_new),
                _pair(str(c.rank_old), str(c.rank_new)), _pair(c.vetoes_old, c.vetoes_new),
                _pair(c.caps_old, c.caps_new))))
        console.print(t)
    if d.rows:
        names = SCORES_HEADERS | LEDGER_HEADERS
        t = Table("设区市", "指标", "变化项", "实际值", "目标值", "得分", "标记", "原因", title="有变化的评分明细")
        for r in d.rows:
            t.add_row(*(Text(s) for s in (
                r.city, r.code, "、".join(names.get(f, f) for f in r.fields),
                _pair(_n(r.actual_old), _n(r.actual_new)), _pair(_n(r.target_old), _n(r.target_new)),
                _pair(_n(r.points_old, 2), _n(r.points_new, 2)), _pair(r.flags_old, r.flags_new), r.cause or "")))
        console.print(t)
