"""Command line: a thin layer over jxscore.service. Heavy libraries load inside the commands."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from jxscore.cli import analysis, announce, barometer, diff, history, portal, report, sign  # noqa: E402
from jxscore.cli.common import ALLOW_MISSING, CRITERIA, DATA, DEBUG, OUT, YEAR, fail_on_errors, opts

app = typer.Typer(
    name="jxscore",
    help="设区市节能减排目标责任评价考核 — score, grade, rank and explain (jxscore).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain help and usage errors: with a markup mode, typer renders them with rich (rich.console, rich.markdown,
    # markdown-it, pygments), ~40 ms of imports that would more than double `jxscore --help`
    rich_markup_mode=None,
)


def validate(year: YEAR, data: DATA, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False,
             fmt: Annotated[str, typer.Option("--format", help="table (default), json or csv.")] = "table",
             debug: DEBUG = False) -> None:
    """Check every input file and list all problems (exit 2 if any): as a table, JSON or CSV."""
    from jxscore import service
    from jxscore.cli.common import echo_warnings, lang, problems_text
    from jxscore.core.problems import Code, Problem, UsageError
    from jxscore.i18n import text

    with fail_on_errors(debug, fmt if fmt in ("json", "csv") else "table"):
        if fmt not in ("table", "json", "csv"):
            raise UsageError(Problem.make(Code.BAD_OPTION, option="--format", value=fmt, expected="@expected.format"))
        inputs = service.validate(opts(year, data, criteria, allow_missing))
    if fmt == "table":
        echo_warnings(inputs.warnings)
        if hasattr(inputs, "city"):  # a city's own workbook
            typer.echo(text("ui.valid_city", lang(), file=inputs.file, city=inputs.city, year=year))
        else:
            typer.echo(text("ui.valid", lang(), data=data, year=year, n=len(inputs.values)))
    else:
        typer.echo(problems_text(inputs.warnings, fmt), nl=False)


def score(year: YEAR, data: DATA, out: OUT, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False,
          debug: DEBUG = False) -> None:
    """Score the cities: scores.csv, ledger.csv, manifest.json and results.xlsx in OUT."""
    from jxscore import service
    from jxscore.cli.common import echo_ranking, echo_warnings

    with fail_on_errors(debug):
        run = service.save(service.score(opts(year, data, criteria, allow_missing)), out)
    echo_warnings(run.warnings)
    echo_ranking(run.result)
    typer.echo(f"Wrote {out}/" + ", ".join(run.files) + f" (input hash {run.manifest['input_hash'][:12]}).")


def template(year: YEAR,
             out: Annotated[Path, typer.Option(
                 "--out", help="Folder to write <slug>.xlsx for each city and office.xlsx into (atomically).")],
             targets: Annotated[Path | None, typer.Option(
                 "--targets", help="Targets to pre-fill: a folder with targets.csv, a targets.csv, "
                                   "or an .xlsx with a targets sheet.")] = None,
             password: Annotated[str | None, typer.Option(
                 "--password", help="Password of the sheet and workbook protection (default: none).")] = None,
             criteria: CRITERIA = None, debug: DEBUG = False) -> None:
    """Write the reporting workbooks: one per city (what it reports, validated, protected) and office.xlsx."""
    from jxscore import service
    from jxscore.io.template import check_template_out

    with fail_on_errors(debug):
        out = check_template_out(out)
        run = service.save(service.template(service.TemplateOptions(year, criteria, targets, password)), out)
    typer.echo(f"Wrote {out}/" + ", ".join(run.files))


def collect(year: YEAR,
            source: Annotated[Path, typer.Option(
                "--from", help="Folder of returned workbooks (<slug>.xlsx, office.xlsx).")],
            out: Annotated[Path, typer.Option("--out", help="Folder for the canonical dataset (written atomically).")],
            criteria: CRITERIA = None, debug: DEBUG = False) -> None:
    """Read the returned city workbooks and office.xlsx into one checked dataset (CSV files + sources.csv)."""
    from jxscore import service
    from jxscore.cli.common import echo_warnings

    with fail_on_errors(debug):
        run = service.save(service.collect(service.CollectOptions(year, source, criteria)), out)
    echo_warnings(run.warnings)
    typer.echo(f"Wrote {out}/" + ", ".join(run.files))


def audit(year: YEAR, data: DATA, out: OUT, criteria: CRITERIA = None,
          no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Only verification.csv.")] = False,
          debug: DEBUG = False) -> None:
    """核查报告: check the key-project list and the expert panels (RULEBOOK §8, §9) without scoring."""
    from jxscore import service
    from jxscore.cli.common import echo_warnings

    with fail_on_errors(debug):
        run = service.save(service.audit(opts(year, data, criteria), pdf=not no_pdf), out)
    echo_warnings(run.warnings)
    codes: dict[str, int] = {}
    for f in run.verification.findings:
        codes[f.code] = codes.get(f.code, 0) + 1
    typer.echo("核查发现：" + ("、".join(f"{k} {v}项" for k, v in sorted(codes.items())) or "无"))
    typer.echo(f"Wrote {out}/" + ", ".join(run.files))


@app.callback()
def _root(lang: Annotated[str | None, typer.Option("--lang", help="Language of messages: zh (default) or en.")]
          = None) -> None:
    """设区市节能减排目标责任评价考核 — score, grade, rank and explain (jxscore)."""
    from jxscore.cli.common import LANG

    LANG["lang"] = lang


app.command()(validate)
app.command()(score)
app.command()(report.report)
app.command()(analysis.whatif)
app.command()(analysis.sensitivity)
app.command("compare-methods")(analysis.compare_methods)
app.command()(template)
app.command()(collect)
app.command()(audit)
app.command()(barometer.barometer)
app.command()(history.history)
app.command()(diff.diff)
app.command()(announce.announce)
app.add_typer(sign.keys_app)
app.add_typer(portal.db_app)
app.add_typer(portal.users_app)
app.command()(portal.serve)
app.command()(portal.publish)
app.command("verify-pdf")(sign.verify_pdf)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover
        sys.exit(130)
    finally:
        # the process is about to end: the collector need not walk every object pandas, WeasyPrint and
        # matplotlib made on the way out (0.15–0.24 s of a command's wall time)
        import gc

        gc.freeze()
