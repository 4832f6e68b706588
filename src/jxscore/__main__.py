"""The `jxscore` command (and `python -m jxscore`): starts the render pool's server, when the command
will render, before the CLI (typer, pydantic) is imported; then runs the CLI.

Kept to the standard library: the render fork server imports the command's main script once, so
whatever this module imports, the server pays for before it starts on WeasyPrint.
"""

from __future__ import annotations

import sys


def renders(args: list[str]) -> bool:
    """Whether these arguments run `jxscore report` with a render pool (not its help, not --jobs 1)."""
    i = 0
    while i < len(args) and args[i].startswith("--lang"):  # the app's one option: --lang X or --lang=X
        i += 1 if "=" in args[i] else 2
    if args[i:i + 1] != ["report"] or {"--help", "-h"} & set(args):
        return False
    jobs = [v for a, v in zip(args, args[1:]) if a == "--jobs"] + [a[7:] for a in args if a.startswith("--jobs=")]
    return jobs[-1:] != ["1"]


def main() -> None:
    if renders(sys.argv[1:]):
        from jxscore.report.pool import prestart

        prestart()  # WeasyPrint's import and warm-up overlap the CLI's imports, its parsing and the scoring
    from jxscore.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
