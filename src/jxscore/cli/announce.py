"""`jxscore announce`: the 公告 of an approved year (announcement.pdf), in the style of a provincial notice."""

from __future__ import annotations

from typing import Annotated

import typer

from jxscore.cli.common import ALLOW_MISSING, CRITERIA, DATA, DEBUG, OUT, YEAR, echo_warnings, fail_on_errors, opts

DATE = Annotated[str | None, typer.Option(
    "--date", help="Date of the announcement, YYYY-MM-DD (default: today, 北京时间).")]
VERSION = Annotated[int, typer.Option(
    "--version", help="Version of the round being announced (1, 2, … after corrections).")]
ISSUER = Annotated[str, typer.Option("--issuer", help="Issuing body printed in the red header and under the text.")]


def announce(year: YEAR, data: DATA, out: OUT, date: DATE = None, version: VERSION = 1,
             issuer: ISSUER = "江西省人民政府办公厅", criteria: CRITERIA = None,
             allow_missing: ALLOW_MISSING = False, debug: DEBUG = False) -> None:
    """考核结果公告: score the year and write OUT/announcement.pdf (atomically; same inputs and date, same bytes)."""
    from jxscore import service

    with fail_on_errors(debug):
        ao = announce_options(date, version, issuer)
        run = service.save(service.announce(opts(year, data, criteria, allow_missing), ao), out)
    echo_warnings(run.warnings)
    typer.echo(f"Wrote {out}/" + ", ".join(run.files)
               + f" ({run.date.isoformat()}, 第{ao.version}版, input hash {run.score.manifest['input_hash'][:12]}).")


def announce_options(date: str | None, version: int, issuer: str):
    """--date, --version and --issuer checked together (every problem at once, in Chinese)."""
    from jxscore.core.problems import Code, Problem, UsageError
    from jxscore.report.announce import parse_date
    from jxscore.service import AnnounceOptions

    problems, day = [], None
    if date is not None:
        try:
            day = parse_date(date)
        except UsageError as e:
            problems += e.problems
    if version < 1:
        problems.append(Problem.make(Code.BAD_OPTION, option="--version", value=version, expected="@expected.version"))
    if not issuer.strip():
        problems.append(Problem.make(Code.BAD_OPTION, option="--issuer", value=issuer, expected="@expected.issuer"))
    if problems:
        raise UsageError(problems)
    return AnnounceOptions(issuer=issuer.strip(), date=day, version=version)
