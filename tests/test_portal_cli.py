"""`jxscore publish` from the command line: a collected data folder straight to 公示, then refused while in review."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from jxscore.portal.db import make_engine, sessions, transaction
from jxscore.portal.models import Document, Publication, StageEvent

ROOT = Path(__file__).resolve().parents[1]
JX = str(Path(sys.executable).parent / "jxscore")


def run(*args):
    return subprocess.run([JX, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_publish_puts_the_year_up_for_review_and_a_second_version_waits_for_approval(tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    assert run("db", "upgrade", "--db", db).returncode == 0
    r = run("publish", "--year", 2024, "--data", "data", "--db", db, "--window-end", "2099-03-16")
    assert r.returncode == 0, r.stderr
    assert "已发布 2024年度第1版供公示，公示期至 2099-03-16 24:00（北京时间）" in r.stdout
    with transaction(sessions(make_engine(db))) as s:
        pub = s.scalar(select(Publication))
        assert (pub.version, pub.revision, pub.status) == (1, 1, "done")
        ev = s.scalar(select(StageEvent))
        assert ev.stage == "公示" and ev.window_end.isoformat() == "2099-03-16T16:00:00+00:00"  # 24:00 北京时间
        docs = {(d.kind, d.city): d.file for d in s.scalars(select(Document))}
        assert len([k for k in docs if k[0] == "scorecard"]) == 11 and ("summary", "") in docs
        for f in docs.values():  # every stored hash is the hash of the stored bytes, and printed
            assert f.sha256 == hashlib.sha256(f.data).hexdigest() and f.sha256 in r.stdout
        scores = docs[("scores", "")].data.decode("utf-8-sig")
    assert "5,萍乡,360300,完成,完成,90.38," in scores  # data/README.md's hand-worked 萍乡
    again = run("publish", "--year", 2024, "--data", "data", "--db", db)
    assert again.returncode == 2 and "version-in-review" in again.stderr and "Traceback" not in again.stderr
    bad = run("publish", "--year", 2024, "--data", "data", "--db", db, "--window-end", "下周五")
    assert bad.returncode == 2 and "--window-end" in bad.stderr and "Traceback" not in bad.stderr


def test_publish_signs_every_pdf_when_given_a_key(tmp_path):
    keys = tmp_path / "keys"
    assert run("keys", "demo", "--out", keys).returncode == 0
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert run("db", "upgrade", "--db", db).returncode == 0
    r = run("publish", "--year", 2024, "--data", "data", "--db", db, "--sign-key", keys / "office-key.pem",
            "--sign-cert", keys / "office-cert.pem")
    assert r.returncode == 0 and "已签名" in r.stdout, r.stderr
    with transaction(sessions(make_engine(db))) as s:
        assert s.scalar(select(Publication.signed)) is True
        pdfs = [(d.kind, d.city, d.file.data) for d in s.scalars(select(Document)) if d.file.media_type ==
                "application/pdf"]
    assert len(pdfs) == 12
    paths = []
    for i, (_, _, data) in enumerate(pdfs):
        paths.append(tmp_path / f"doc{i}.pdf")
        paths[-1].write_bytes(data)
    v = run("verify-pdf", *paths, "--trust", keys / "ca.pem")
    assert v.returncode == 0, v.stdout + v.stderr  # every stored PDF signed, intact and trusted
