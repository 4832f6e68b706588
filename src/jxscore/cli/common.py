"""Options shared by every command, defined once, and the mapping of domain errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

YEAR = Annotated[int, typer.Option("--year", help="Assessment year Y (e.g. 2024).")]
DATA = Annotated[Path, typer.Option(
    "--data", help="Folder with energy.csv, indicators.csv, targets.csv, or one .xlsx.")]
OUT = Annotated[Path, typer.Option("--out", help="Output folder (written atomically).")]
CRITERIA = Annotated[Path | None, typer.Option("--criteria", help="Criteria file (default: bundled Jiangxi scheme).")]
ALLOW_MISSING = Annotated[bool, typer.Option(
    "--allow-missing", help="Score missing applicable values as 0 and flag them.")]
DEBUG = Annotated[bool, typer.Option("--debug", help="Show Python tracebacks.")]


def opts(year: int, data: Path, criteria: Path | None, allow_missing: bool = False):
    from jxscore.service import RunOptions

    return RunOptions(year=year, data=data, criteria=criteria, allow_missing=allow_missing)


def _table(rows: list[list[str]], headers: list[str]) -> str:
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # never wrap a cell: each problem stays on one line, so it can be read and grepped
    t = Table(show_lines=False, header_style="bold", box=box.SIMPLE_HEAD)
    for h in headers:
        t.add_column(h, no_wrap=True, overflow="ignore")
    for r in rows:
        t.add_row(*(Text(c) for c in r))  # Text: brackets in data are not rich markup
    console = Console(file=sys.stderr, width=4000, no_color=True, force_terminal=False)
    with console.capture() as cap:
        console.print(t)
    return "\n".join(line.rstrip() for line in cap.get().splitlines()) + "\n"


LANG: dict[str, str | None] = {"lang": None}  # set by the app's --lang option (or JXSCORE_LANG)


def lang() -> str:
    from jxscore.i18n import resolve_lang

    return resolve_lang(LANG["lang"])


def problems_text(problems: list, fmt: str = "table") -> str:
    """Problems in the chosen format and language: a one-line-per-problem table, JSON or CSV."""
    from jxscore import i18n

    if fmt == "json":
        return i18n.problems_json(problems, lang())
    if fmt == "csv":
        return i18n.problems_csv(problems, lang())
    headers, rows = i18n.problem_rows(problems, lang())
    return _table(rows, headers)


@contextmanager
def fail_on_errors(debug: bool, fmt: str = "table") -> Iterator[None]:
    """Bad input → every problem, located, and exit 2; anything else → exit 1 (traceback with --debug)."""
    from jxscore.core.problems import Code, CriteriaError, InputError, JxError, ScenarioError
    from jxscore.i18n import text

    try:
        yield
    except JxError as e:
        if debug:
            raise
        L = lang()
        if isinstance(e, InputError):
            head = text("ui.problems", L, n=len(e.problems))
        elif isinstance(e, CriteriaError):
            head = text("ui.criteria", L, n=len(e.problems), file=e.problems[0].file if e.problems else "")
        elif isinstance(e, ScenarioError):
            head = text("ui.scenario", L, n=len(e.problems))
        else:
            head = text("ui.usage", L)
        if fmt == "table":
            typer.echo(head, err=True)
            typer.echo(problems_text(e.problems, fmt), err=True, nl=False)
        else:  # machine-readable: the problems alone on stdout
            typer.echo(problems_text(e.problems, fmt), nl=False)
        if fmt == "table" and any(p.code == Code.MISSING_VALUE and p.params.get("why") == "@why.applicable"
                                  for p in e.problems):
            typer.echo(text("ui.hint_missing", L), err=True)
        raise typer.Exit(2)
    except typer.Exit:
        raise
    except Exception as e:  # a bug: say so plainly
        if debug:
            raise
        typer.echo(text("ui.internal", lang(), kind=type(e).__name__, detail=e), err=True)
        raise typer.Exit(1)


def echo_warnings(warnings: list) -> None:
    from jxscore.i18n import text

    if warnings:
        typer.echo(text("ui.warnings", lang(), n=len(warnings)), err=True)
        typer.echo(problems_text(warnings), err=True, nl=False)


def echo_ranking(result) -> None:
    s = result.scores
    from jxscore.io.writers import cell_text

    rows = [[str(r["rank"]), r["city"], f"{r['total']:.2f}", r["grade"], cell_text(r["vetoes"]), cell_text(r["caps"]),
             cell_text(r["exempt"])]
            for _, r in s.iterrows()]
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    t = Table("排名", "设区市", "总分", "等级", "否决", "封顶", "免考")
    for r in rows:
        t.add_row(*(Text(c) for c in r))
    Console(width=100).print(t)
