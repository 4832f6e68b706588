"""`jxscore keys demo` (a throwaway test PKI) and `jxscore verify-pdf` (is each PDF signed, intact, trusted?)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jxscore.cli.common import DEBUG, fail_on_errors

keys_app = typer.Typer(name="keys", help="Signing keys for the PDFs (demo PKI).", no_args_is_help=True,
                       add_completion=False, rich_markup_mode=None)


@keys_app.command("demo")
def keys_demo(out: Annotated[Path, typer.Option("--out", help="Folder for the test keys and certificates.")],
              debug: DEBUG = False) -> None:
    """Write a throwaway test PKI (测试用, for demos and tests only): ca.pem, office-key.pem, office-cert.pem
    and an unrelated other-ca.pem, other-key.pem, other-cert.pem."""
    from jxscore.cli.common import lang
    from jxscore.i18n import text
    from jxscore.io.atomic import staged_output
    from jxscore.report.keys import DEMO_FILES, demo_pki

    with fail_on_errors(debug), staged_output(out) as stage:
        files = demo_pki(stage)
    typer.echo(text("ui.keys_demo", lang(), out=out))
    for f in files:
        typer.echo(f"  {f:<16} {DEMO_FILES[f]}")


def verify_pdf(files: Annotated[list[Path], typer.Argument(help="PDF files to check.")],
               trust: Annotated[list[Path] | None, typer.Option(
                   "--trust", help="Trusted certificate (PEM: a CA or the signer's own); repeatable.")] = None,
               debug: DEBUG = False) -> None:
    """For each PDF: signed? intact (the signature covers the whole file)? who signed, when, trusted?
    Exit 0 when all are intact and trusted, 3 when any is modified, unsigned or untrusted, 2 for bad input."""
    from jxscore.cli.common import _table, lang
    from jxscore.i18n import text
    from jxscore.report.sign import verify

    with fail_on_errors(debug):
        verdicts = verify(list(files), list(trust or []))
    L = lang()
    headers = [text(f"col.{c}", L) for c in ("pdf", "status", "signer", "signed_at", "trusted", "detail")]
    rows = []
    for v in verdicts:
        when = v.signed_at + (text("verify.timestamped", L) if v.timestamped else "")
        trusted = "" if not (v.signed and v.intact) else text("verify.yes" if v.trusted else "verify.no", L)
        rows.append([v.file, text(v.status, L), v.signer, when, trusted, _detail(v, L)])
    typer.echo(_table(rows, headers), nl=False)
    bad = sum(not v.ok for v in verdicts)
    typer.echo(text("ui.verify_summary", L, n=len(verdicts), ok=len(verdicts) - bad, bad=bad))
    raise typer.Exit(3 if bad else 0)


def _detail(v, L: str) -> str:
    """Why a file failed, in words: the digest, an append after signing, or the trust problem."""
    from jxscore.i18n import text

    if v.intact and v.modified_after:
        return text("why.appended", L, n=v.appended)
    if not v.problem:
        return ""
    key = "why." + v.problem.lower()
    said = text(key, L)
    return v.problem if said == key else said
