"""Options shared by every command, defined once, and the mapping of domain errors to exit codes."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Iterator, Optional

import typer

YEAR = Annotated[int, typer.Option("--year", help="Assessment year Y (e.g. 2024).")]
DATA = Annotated[Path, typer.Option("--data", help="Folder with energy.csv, indicators.csv, targets.csv, or one .xlsx.")]
OUT = Annotated[Path, typer.Option("--out", help="Output folder (written atomically).")]
CRITERIA = Annotated[Optional[Path], typer.Option("--criteria", help="Criteria file (default: bundled Jiangxi scheme).")]
ALLOW_MISSING = Annotated[bool, typer.Option("--allow-missing", help="Score missing applicable values as 0 and flag them.")]
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
    return cap.get()


@contextmanager
def fail_on_errors(debug: bool) -> Iterator[None]:
    """Bad input → message + exit 2; anything else → exit 1 (traceback with --debug)."""
    from jxscore.core.errors import CriteriaError, InputError, JxError

    try:
        yield
    except InputError as e:
        if debug:
            raise
        typer.echo(f"Error: {len(e.problems)} problem(s) in the input data; nothing was written.", err=True)
        typer.echo(_table([p.as_row() for p in e.problems], ["file", "row", "column", "value", "expected"]),
                   err=True, nl=False)
        if any("applies" in p.expected for p in e.problems):
            typer.echo("Missing values: report them, or use --allow-missing to score them as 0.", err=True)
        raise typer.Exit(2)
    except CriteriaError as e:
        if debug:
            raise
        typer.echo(f"Error: criteria file {e.file} is invalid; nothing was written.", err=True)
        typer.echo(_table([[e.file, p, m] for p, m in e.problems], ["file", "path", "problem"]), err=True, nl=False)
        raise typer.Exit(2)
    except JxError as e:
        if debug:
            raise
        typer.echo(f"Error: {e}", err=True)
        raise typer.Exit(2)
    except typer.Exit:
        raise
    except Exception as e:  # a bug: say so plainly
        if debug:
            raise
        typer.echo(f"Internal error ({type(e).__name__}: {e}). Re-run with --debug for the traceback.", err=True)
        raise typer.Exit(1)


def echo_warnings(warnings: list) -> None:
    if warnings:
        typer.echo(f"Warning: {len(warnings)} note(s):", err=True)
        typer.echo(_table([w.as_row() for w in warnings], ["file", "row", "column", "value", "note"]), err=True,
                   nl=False)


def echo_ranking(result) -> None:
    s = result.scores
    rows = [[str(r["rank"]), r["city"], f"{r['total']:.2f}", r["grade"], r["vetoes"], r["caps"], r["exempt"]]
            for _, r in s.iterrows()]
    from rich.console import Console
    from rich.table import Table

    from rich.text import Text

    t = Table("排名", "设区市", "总分", "等级", "否决", "封顶", "免考")
    for r in rows:
        t.add_row(*(Text(c) for c in r))
    Console(width=100).print(t)
