"""`jxscore report`: score, then a PDF scorecard per city and the provincial summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jxscore.cli.common import (
    ALLOW_MISSING,
    CRITERIA,
    DATA,
    DEBUG,
    OUT,
    YEAR,
    echo_ranking,
    echo_warnings,
    fail_on_errors,
    opts,
)

HTML = Annotated[bool, typer.Option("--html", help="Also write each document as a self-contained HTML page.")]
JOBS = Annotated[int | None, typer.Option("--jobs", min=1, help="Parallel render processes (default: CPU count).")]
SIGN_KEY = Annotated[Path | None, typer.Option(
    "--sign-key", help="Sign every PDF (PAdES) with this private key (PEM: ECDSA P-256 or RSA).")]
SIGN_CERT = Annotated[Path | None, typer.Option("--sign-cert", help="The signing certificate (PEM) for --sign-key.")]
SIGN_CHAIN = Annotated[list[Path] | None, typer.Option(
    "--sign-chain", help="Intermediate/CA certificates (PEM) to embed with the signature; repeatable.")]
STAMP = Annotated[bool, typer.Option(
    "--stamp", help="A visible signature block (office, time in China Standard Time) on each last page.")]
TSA = Annotated[str | None, typer.Option("--tsa", help="Timestamp server URL (RFC 3161): PAdES B-T instead of B-B.")]
HISTORY = Annotated[Path | None, typer.Option(
    "--history", help="History folder (DIR/2021, DIR/2022, …): each card gets its 历年考核结果 for the earlier years.")]
MARK = Annotated[str | None, typer.Option(
    "--mark", help="Provisional mark on every page of the cards and the summary: 公示稿 or 征求意见稿.")]
WINDOW_END = Annotated[str | None, typer.Option(
    "--window-end", help="With --mark: end of the 公示 window in 北京时间, e.g. 2025-03-15T17:00 (a date = 24:00).")]
VERSION = Annotated[int | None, typer.Option("--version", help="With --mark: the round's version (default 1).")]
SIGN_PASS_ENV = Annotated[str | None, typer.Option(
    "--sign-pass-env", help="Name of the environment variable holding the key's passphrase (never the passphrase).")]


def report(year: YEAR, data: DATA, out: OUT, criteria: CRITERIA = None, allow_missing: ALLOW_MISSING = False,
           html: HTML = False, jobs: JOBS = None, sign_key: SIGN_KEY = None, sign_cert: SIGN_CERT = None,
           sign_chain: SIGN_CHAIN = None, stamp: STAMP = False, tsa: TSA = None,
           sign_pass_env: SIGN_PASS_ENV = None, history: HISTORY = None, mark: MARK = None,
           window_end: WINDOW_END = None, version: VERSION = None, debug: DEBUG = False) -> None:
    """Score and render OUT/scorecards/<slug>.pdf for every city and OUT/summary.pdf (atomically);
    with --sign-key/--sign-cert every PDF is signed in the same step."""
    from jxscore import service

    bar: list = []  # (progress, task) once rendering has started: rich loads then, not before the first card

    def started(n: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        progress = Progress(TextColumn("渲染 {task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), transient=True)
        progress.start()
        bar.extend((progress, progress.add_task("PDF", total=n)))

    def done(name: str) -> None:
        if bar:
            bar[0].update(bar[1], advance=1, description=name)

    with fail_on_errors(debug):
        sign = sign_options(sign_key, sign_cert, sign_chain, stamp, tsa, sign_pass_env)
        from jxscore.report.announce import make_mark

        marked = make_mark(mark, window_end, version)
    with fail_on_errors(debug):
        try:
            run = service.report(opts(year, data, criteria, allow_missing),
                                 service.ReportOptions(html=html, jobs=jobs, sign=sign, history=history, mark=marked),
                                 out, on_start=started, on_done=done)
        finally:
            if bar:
                bar[0].stop()
    echo_warnings(run.warnings)
    echo_ranking(run.score.result)
    pdfs = [f for f in run.files if f.endswith(".pdf")]
    typer.echo(f"Wrote {out}/scores.csv, ledger.csv, manifest.json, results.xlsx and {len(pdfs)} PDFs "
               f"({len(pdfs) - 1} scorecards in {out}/scorecards/, summary.pdf; "
               f"input hash {run.score.manifest['input_hash'][:12]}).")
    if run.signed_by:
        from jxscore.cli.common import lang
        from jxscore.i18n import text

        typer.echo(text("ui.signed", lang(), n=len(pdfs), office=run.signed_by, level=run.sign_level))


def sign_options(key: Path | None, cert: Path | None, chain: list[Path] | None, stamp: bool, tsa: str | None,
                 pass_env: str | None):
    """SignOptions when --sign-key and --sign-cert are given; the other --sign-* options need them."""
    from jxscore.core.problems import Code, Problem, UsageError

    if key is None and cert is None:
        extra = [n for n, v in (("--sign-chain", chain), ("--stamp", stamp), ("--tsa", tsa),
                                ("--sign-pass-env", pass_env)) if v]
        if extra:
            raise UsageError(Problem.make(Code.BAD_OPTION, option=extra[0], value="",
                                          expected="@expected.sign_key"))
        return None
    if key is None or cert is None:
        missing = "--sign-key" if key is None else "--sign-cert"
        raise UsageError(Problem.make(Code.BAD_OPTION, option=missing, value="", expected="@expected.sign_key"))
    from jxscore.report.sign import SignOptions

    return SignOptions(key=key, cert=cert, chain=tuple(chain or ()), stamp=stamp, tsa=tsa, pass_env=pass_env)
