"""Signed documents (issue 13): `jxscore report --sign-*`, `jxscore keys demo`, `jxscore verify-pdf`.

One real signed run of the builders' worked example (the demo PKI, --stamp) is shared by the module; the
tampering cases work on copies of its cards. No network: the B-T case uses a timestamp server started on
127.0.0.1 around pyHanko's DummyTimeStamper.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import BytesIO
from pathlib import Path

import pytest
from typer.testing import CliRunner

from builders import worked_example
from jxscore.cli import app
from jxscore.report import keys, sign

SLUGS = ["nanchang", "jingdezhen", "pingxiang", "jiujiang", "xinyu", "yingtan", "ganzhou", "jian", "yichun",
         "fuzhou", "shangrao"]


def cli(*args, env=None):
    return CliRunner(env=env).invoke(app, [str(a) for a in args])


def verdict(path: Path, *trust: Path) -> sign.Verdict:
    return sign.verify([path], list(trust))[0]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    res = cli("keys", "demo", "--out", d)
    assert res.exit_code == 0, res.output
    return d


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return worked_example().write(tmp_path_factory.mktemp("data") / "data")


@pytest.fixture(scope="module")
def signed(tmp_path_factory, pki, data):
    """`jxscore report --sign-key --sign-cert --stamp` on the worked example."""
    out = tmp_path_factory.mktemp("signed") / "out"
    res = cli("report", "--year", 2023, "--data", data, "--out", out, "--jobs", 2, "--sign-key", pki / "office-key.pem",
              "--sign-cert", pki / "office-cert.pem", "--stamp")
    assert res.exit_code == 0, res.output
    assert f"已签名12个PDF（签名人：{keys.OFFICE_NAME}；PAdES B-B）" in res.output
    return out


@pytest.fixture(scope="module")
def unsigned(tmp_path_factory, data):
    out = tmp_path_factory.mktemp("unsigned") / "out"
    res = cli("report", "--year", 2023, "--data", data, "--out", out, "--jobs", 2)
    assert res.exit_code == 0, res.output
    return out


def pdfs(out: Path) -> list[Path]:
    return [out / "summary.pdf"] + [out / "scorecards" / f"{s}.pdf" for s in SLUGS]


def run_tool(*cmd) -> str:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=True).stdout


# ------------------------------------------------------------------ sign, then verify

def test_signed_run_verifies_intact_and_trusted(signed, pki):
    res = cli("verify-pdf", *pdfs(signed), "--trust", pki / "ca.pem")
    assert res.exit_code == 0, res.output
    rows = [ln for ln in res.output.splitlines() if ".pdf" in ln]
    assert len(rows) == 12 and all(re.search(r"\s完好\s.*\s受信任$", ln) for ln in rows), rows
    assert "共12个文件：12个完好且受信任，0个未通过。" in res.output
    for v in sign.verify(pdfs(signed), [pki / "ca.pem"]):
        assert (v.signed, v.intact, v.modified_after, v.trusted, v.status) == (True, True, False, True, "verify.ok")
        assert v.signer == keys.OFFICE_NAME
        assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d 北京时间", v.signed_at)


def test_signing_is_an_incremental_update_of_the_unsigned_document(signed, unsigned):
    """The card as rendered is untouched below the signature: the signed file starts with its bytes."""
    for slug in SLUGS:
        before = (unsigned / "scorecards" / f"{slug}.pdf").read_bytes()
        after = (signed / "scorecards" / f"{slug}.pdf").read_bytes()
        assert after.startswith(before) and len(after) > len(before)


def test_summary_lists_each_signed_card_sha256_and_sha256sums_covers_the_folder(signed):
    text = subprocess.run(["pdftotext", str(signed / "summary.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "评分卡文件指纹（SHA-256）" in text
    for slug in SLUGS:
        digest = hashlib.sha256((signed / "scorecards" / f"{slug}.pdf").read_bytes()).hexdigest()
        assert digest in text, slug
    sums = (signed / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in sums)
    files = sorted(p.relative_to(signed).as_posix() for p in signed.rglob("*")
                   if p.is_file() and p.name != "SHA256SUMS")
    assert sorted(listed) == files and "summary.pdf" in listed and "scores.csv" in listed
    for rel, digest in listed.items():
        assert hashlib.sha256((signed / rel).read_bytes()).hexdigest() == digest, rel


def test_unsigned_run_lists_card_hashes_and_stays_byte_identical(unsigned, data, tmp_path):
    again = tmp_path / "again"
    assert cli("report", "--year", 2023, "--data", data, "--out", again, "--jobs", 2).exit_code == 0
    for p in pdfs(unsigned):
        assert p.read_bytes() == (again / p.relative_to(unsigned)).read_bytes(), p.name
    assert (unsigned / "SHA256SUMS").read_bytes() == (again / "SHA256SUMS").read_bytes()
    assert b"/ByteRange" not in (unsigned / "summary.pdf").read_bytes()


# ------------------------------------------------------------------ tampering

def _first_range_end(data: bytes) -> int:
    m = re.search(rb"/ByteRange\s*\[\s*0\s+(\d+)", data)
    return int(m.group(1))


def test_one_flipped_byte_inside_the_signed_range_is_modified(signed, pki, tmp_path):
    src = signed / "scorecards" / "nanchang.pdf"
    data = bytearray(src.read_bytes())
    end = _first_range_end(bytes(data))
    at = data.index(b"stream", len(data) // 4) + 40  # inside a content stream the signature covers
    assert at < end
    data[at] ^= 0x01
    bad = tmp_path / "nanchang.pdf"
    bad.write_bytes(bytes(data))
    v = verdict(bad, pki / "ca.pem")
    assert (v.signed, v.intact, v.status) == (True, False, "verify.modified")
    res = cli("verify-pdf", bad, src, "--trust", pki / "ca.pem")
    assert res.exit_code == 3, res.output
    assert "已被修改" in res.output and "共2个文件：1个完好且受信任，1个未通过。" in res.output


def test_an_incremental_update_after_signing_is_reported(signed, pki, tmp_path):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    src = signed / "scorecards" / "jiujiang.pdf"
    w = IncrementalPdfFileWriter(BytesIO(src.read_bytes()), strict=False)
    page_ref = w.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    annot = generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Annot"), generic.pdf_name("/Subtype"): generic.pdf_name("/Text"),
        generic.pdf_name("/Rect"): generic.ArrayObject([generic.NumberObject(v) for v in (100, 700, 120, 720)]),
        generic.pdf_name("/Contents"): generic.TextStringObject("总分改为100分")})
    annots = page.get("/Annots", generic.ArrayObject())
    annots.append(w.add_object(annot))
    page[generic.pdf_name("/Annots")] = annots
    w.update_container(page)
    out = BytesIO()
    w.write(out)
    bad = tmp_path / "jiujiang.pdf"
    bad.write_bytes(out.getvalue())
    v = verdict(bad, pki / "ca.pem")
    assert (v.signed, v.intact, v.modified_after, v.trusted, v.status) == (True, True, True, True, "verify.appended")
    res = cli("verify-pdf", bad, "--trust", pki / "ca.pem")
    assert res.exit_code == 3 and "签名后被修改" in res.output, res.output


def test_bytes_appended_after_the_signature_are_reported(signed, pki, tmp_path):
    bad = tmp_path / "xinyu.pdf"
    bad.write_bytes((signed / "scorecards" / "xinyu.pdf").read_bytes() + b"\n% appended\n")
    assert verdict(bad, pki / "ca.pem").ok is False


def test_a_card_signed_by_another_ca_is_untrusted(unsigned, pki, tmp_path):
    other = sign.load_signer(sign.SignOptions(pki / "other-key.pem", pki / "other-cert.pem"))
    card = tmp_path / "yingtan.pdf"
    card.write_bytes(other.sign_bytes((unsigned / "scorecards" / "yingtan.pdf").read_bytes()))
    v = verdict(card, pki / "ca.pem")
    assert (v.signed, v.intact, v.trusted, v.status) == (True, True, False, "verify.untrusted")
    assert v.signer == keys.OTHER_NAME
    res = cli("verify-pdf", card, "--trust", pki / "ca.pem")
    assert res.exit_code == 3 and "签名人不受信任" in res.output and "不受信任" in res.output, res.output
    assert verdict(card, pki / "other-ca.pem").ok  # the same file, trusting its own CA


def test_unsigned_pdf_and_bad_input(unsigned, pki, tmp_path):
    res = cli("verify-pdf", unsigned / "summary.pdf", "--trust", pki / "ca.pem")
    assert res.exit_code == 3 and "未签名" in res.output, res.output
    (tmp_path / "notes.pdf").write_text("not a pdf", encoding="utf-8")
    res = cli("verify-pdf", tmp_path / "missing.pdf", tmp_path / "notes.pdf")
    assert res.exit_code == 2, res.output
    assert "missing.pdf无法作为PDF读取" in res.output and "notes.pdf无法作为PDF读取（not a PDF）" in res.output


# ------------------------------------------------------------------ certificates and keys

def _expired(pki_dir: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """An office certificate that expired yesterday, from a fresh CA (its cert is returned too)."""
    ca = keys.make_ca("过期测试用根证书")
    now = dt.datetime.now(dt.UTC)
    old = keys.issue(ca, "过期证书办公室（测试用）", not_before=now - dt.timedelta(days=400),
                     not_after=now - dt.timedelta(days=1))
    (tmp_path / "exp-ca.pem").write_bytes(keys.cert_pem(ca.cert))
    (tmp_path / "exp-key.pem").write_bytes(keys.key_pem(old.key))
    (tmp_path / "exp-cert.pem").write_bytes(keys.cert_pem(old.cert))
    return tmp_path / "exp-ca.pem", tmp_path / "exp-key.pem", tmp_path / "exp-cert.pem"


def test_expired_certificate_is_refused_for_signing_and_untrusted_when_verified(unsigned, pki, data, tmp_path):
    ca, key, cert = _expired(pki, tmp_path)
    out = tmp_path / "out"
    res = cli("report", "--year", 2023, "--data", data, "--out", out, "--sign-key", key, "--sign-cert", cert)
    assert res.exit_code == 2, res.output
    assert "exp-cert.pem当前无效" in res.output and not out.exists()
    # a card signed while it was still valid (pyHanko does not check), verified now: not trusted
    then = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    s = sign.load_signer(sign.SignOptions(key, cert), now=then)
    card = tmp_path / "fuzhou.pdf"
    card.write_bytes(s.sign_bytes((unsigned / "scorecards" / "fuzhou.pdf").read_bytes()))
    v = verdict(card, ca)
    assert (v.signed, v.intact, v.trusted, v.status) == (True, True, False, "verify.untrusted")
    assert "EXPIRED" in v.problem or "OUT_OF_BOUNDS" in v.problem or "NOT_YET_VALID" in v.problem, v.problem


def _encrypted_key(pki: Path, tmp_path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization as ser

    key = ser.load_pem_private_key((pki / "office-key.pem").read_bytes(), None)
    path = tmp_path / "office-key-enc.pem"
    path.write_bytes(keys.key_pem(key, b"right passphrase"))
    return path


def test_wrong_passphrase_is_a_clear_error_exit_2_and_nothing_is_written(pki, data, tmp_path):
    enc = _encrypted_key(pki, tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "scores.csv").write_text("earlier results\n", encoding="utf-8")
    res = cli("report", "--year", 2023, "--data", data, "--out", out, "--sign-key", enc,
              "--sign-cert", pki / "office-cert.pem", "--sign-pass-env", "JX_TEST_PASS",
              env={"JX_TEST_PASS": "wrong passphrase"})
    assert res.exit_code == 2, res.output
    assert "参数有误，未写出任何文件。" in res.output
    assert "office-key-enc.pem的口令错误（环境变量JX_TEST_PASS中的口令无法解密该私钥）" in res.output
    assert "Traceback" not in res.output
    assert sorted(p.name for p in out.iterdir()) == ["scores.csv"]
    assert (out / "scores.csv").read_text(encoding="utf-8") == "earlier results\n"
    assert not list(tmp_path.glob(".out.staging-*"))
    # no --sign-pass-env for an encrypted key, an unset variable: both located, exit 2
    res = cli("report", "--year", 2023, "--data", data, "--out", out, "--sign-key", enc,
              "--sign-cert", pki / "office-cert.pem")
    assert res.exit_code == 2 and "已加密：请用--sign-pass-env" in res.output, res.output
    env = {k: v for k, v in os.environ.items() if k != "JX_UNSET_VAR"}
    res = cli("report", "--year", 2023, "--data", data, "--out", out, "--sign-key", enc,
              "--sign-cert", pki / "office-cert.pem", "--sign-pass-env", "JX_UNSET_VAR", env=env)
    assert res.exit_code == 2 and "环境变量JX_UNSET_VAR未设置" in res.output, res.output


def test_right_passphrase_signs(pki, unsigned, tmp_path, monkeypatch):
    monkeypatch.setenv("JX_TEST_PASS", "right passphrase")
    s = sign.load_signer(sign.SignOptions(_encrypted_key(pki, tmp_path), pki / "office-cert.pem",
                                          pass_env="JX_TEST_PASS"))
    card = tmp_path / "ganzhou.pdf"
    card.write_bytes(s.sign_bytes((unsigned / "scorecards" / "ganzhou.pdf").read_bytes()))
    assert verdict(card, pki / "ca.pem").ok


def test_rsa_key_and_a_certificate_that_is_not_the_keys(pki, unsigned, tmp_path):
    ca = keys.make_ca("RSA测试用根证书")
    rsa = keys.issue(ca, "RSA签名办公室（测试用）", key=keys.new_key("rsa"))
    (tmp_path / "rsa-key.pem").write_bytes(keys.key_pem(rsa.key))
    (tmp_path / "rsa-cert.pem").write_bytes(keys.cert_pem(rsa.cert))
    (tmp_path / "rsa-ca.pem").write_bytes(keys.cert_pem(ca.cert))
    s = sign.load_signer(sign.SignOptions(tmp_path / "rsa-key.pem", tmp_path / "rsa-cert.pem"))
    card = tmp_path / "jian.pdf"
    card.write_bytes(s.sign_bytes((unsigned / "scorecards" / "jian.pdf").read_bytes()))
    v = verdict(card, tmp_path / "rsa-ca.pem")
    assert v.ok and v.signer == "RSA签名办公室（测试用）"
    with pytest.raises(sign.SignError) as e:
        sign.load_signer(sign.SignOptions(tmp_path / "rsa-key.pem", pki / "office-cert.pem"))
    assert [p.code.value for p in e.value.problems] == ["sign-cert-mismatch"]


def test_sign_options_need_key_and_cert(data, tmp_path):
    res = cli("report", "--year", 2023, "--data", data, "--out", tmp_path / "o", "--stamp")
    assert res.exit_code == 2 and "--stamp ：应为同时给出--sign-key与--sign-cert" in res.output, res.output


def test_keys_demo_writes_a_test_pki_named_for_testing(pki):
    from cryptography import x509

    assert sorted(p.name for p in pki.iterdir()) == sorted(keys.DEMO_FILES)
    ca = x509.load_pem_x509_certificate((pki / "ca.pem").read_bytes())
    office = x509.load_pem_x509_certificate((pki / "office-cert.pem").read_bytes())
    other = x509.load_pem_x509_certificate((pki / "other-cert.pem").read_bytes())
    assert "测试用" in office.subject.rfc4514_string() and "测试用" in ca.subject.rfc4514_string()
    assert office.issuer == ca.subject and other.issuer != ca.subject
    office.verify_directly_issued_by(ca)
    assert (pki / "office-key.pem").stat().st_mode & 0o077 == 0


# ------------------------------------------------------------------ the stamp and PDF/A

def test_visible_stamp_is_the_office_in_chinese_in_an_embedded_font_and_covers_nothing(signed, unsigned):
    for rel in ("scorecards/nanchang.pdf", "summary.pdf"):
        path = signed / rel
        n = int(re.search(r"Pages:\s+(\d+)", run_tool("pdfinfo", path)).group(1))
        info = run_tool("pdfinfo", "-f", n, "-l", n, path)
        w, h = (float(x) for x in re.search(rf"Page\s+{n} size:\s+([\d.]+) x ([\d.]+)", info).groups())
        x0, y0, x1, y1 = sign.stamp_rect(w)
        crop = run_tool("pdftotext", "-f", n, "-l", n, "-x", int(x0), "-y", int(h - y1), "-W", int(x1 - x0),
                        "-H", int(y1 - y0), path, "-")
        lines = [ln.strip() for ln in crop.splitlines() if ln.strip()]
        assert lines[:2] == ["电子签名", keys.OFFICE_NAME], lines
        assert re.fullmatch(r"20\d\d-\d\d-\d\d \d\d:\d\d:\d\d 北京时间", lines[2]), lines
        fonts = run_tool("pdffonts", path).splitlines()[2:]
        assert len(fonts) == 2 and any("NotoSansCJKsc" in f for f in fonts), fonts
        assert all(f.split()[-5:-2] == ["yes", "yes", "yes"] for f in fonts), fonts  # emb, sub, uni
        # nothing of the page as rendered lies under the stamp, and the stamp is inside the bottom margin
        words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"',
                           run_tool("pdftotext", "-f", n, "-l", n, "-bbox", unsigned / rel, "-"))
        for wx0, wy0, wx1, wy1 in ((float(a) for a in t) for t in words):
            top, bottom = h - wy1, h - wy0  # to PDF coordinates
            assert wx1 <= x0 or wx0 >= x1 or bottom <= y0 or top >= y1, (rel, wx0, wy0)
        assert y1 < 15 / 25.4 * 72  # below the content area (bottom margin ≥ 15 mm)


def _catalog(path: Path) -> tuple[bytes, list]:
    """The document's XMP metadata and its output intents' subtypes (the catalog may sit in an object stream)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as f:
        root = PdfFileReader(f, strict=False).root
        intents = [str(i.get_object()["/S"]) for i in root.get("/OutputIntents", [])]
        return root["/Metadata"].get_object().data, intents


@pytest.mark.parametrize("which", ["signed", "unsigned"])
def test_documents_are_pdfa_3b_with_every_font_embedded(which, signed, unsigned):
    out = signed if which == "signed" else unsigned
    for path in pdfs(out):
        xmp, intents = _catalog(path)
        assert re.search(rb'pdfaid:part(="|>)3', xmp), path
        assert re.search(rb'pdfaid:conformance(="|>)B', xmp), path
        fonts = run_tool("pdffonts", path).splitlines()[2:]
        assert fonts and all(f.split()[-5] == "yes" for f in fonts), (path, fonts)
        assert intents == ["/GTS_PDFA1"], path


# ------------------------------------------------------------------ B-T against a local timestamp server

def _tsa(tmp_path: Path):
    """pyHanko's DummyTimeStamper behind an HTTP server on 127.0.0.1; returns (url, tsa CA path, stop)."""
    from asn1crypto import keys as akeys
    from asn1crypto import tsp
    from asn1crypto import x509 as ax509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.x509.oid import ExtendedKeyUsageOID
    from pyhanko.sign.timestamps import DummyTimeStamper

    ca = keys.make_ca("时间戳测试用根证书")
    key = keys.new_key("rsa")  # pyHanko's DummyTimeStamper signs with RSA only
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(keys._name("时间戳服务（测试用）")).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(ca.key, hashes.SHA256()))
    der = ser.Encoding.DER
    stamper = DummyTimeStamper(
        tsa_cert=ax509.Certificate.load(cert.public_bytes(der)),
        tsa_key=akeys.PrivateKeyInfo.load(key.private_bytes(der, ser.PrivateFormat.PKCS8, ser.NoEncryption())),
        certs_to_embed=[ax509.Certificate.load(ca.cert.public_bytes(der))])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            req = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(req).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "tsa-ca.pem").write_bytes(keys.cert_pem(ca.cert))
    return f"http://127.0.0.1:{server.server_port}/", tmp_path / "tsa-ca.pem", server.shutdown


def test_b_t_with_a_local_timestamp_server(pki, unsigned, tmp_path):
    url, tsa_ca, stop = _tsa(tmp_path)
    try:
        s = sign.load_signer(sign.SignOptions(pki / "office-key.pem", pki / "office-cert.pem", tsa=url))
        assert s.level == "PAdES B-T"
        card = tmp_path / "shangrao.pdf"
        card.write_bytes(s.sign_bytes((unsigned / "scorecards" / "shangrao.pdf").read_bytes()))
    finally:
        stop()
    v = verdict(card, pki / "ca.pem", tsa_ca)
    assert v.ok and v.timestamped
    res = cli("verify-pdf", card, "--trust", pki / "ca.pem", "--trust", tsa_ca)
    assert res.exit_code == 0 and "北京时间（时间戳）" in res.output, res.output


def test_unreachable_timestamp_server_is_a_clear_error(pki, unsigned, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = sign.load_signer(sign.SignOptions(pki / "office-key.pem", pki / "office-cert.pem",
                                          tsa=f"http://127.0.0.1:{port}/"))
    with pytest.raises(sign.SignError) as e:
        s.sign_bytes((unsigned / "summary.pdf").read_bytes())
    assert [p.code.value for p in e.value.problems] == ["sign-tsa"]


def test_help_does_not_import_pyhanko_or_cryptography():
    code = "import sys, jxscore.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('pyhanko', 'cryptography', 'asn1crypto', 'uharfbuzz')))"
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert got.strip() == "[]"

