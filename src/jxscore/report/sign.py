"""PAdES signatures on the documents a run writes, and their verification (`jxscore verify-pdf`).

The key and certificate are loaded and checked once (`load_signer`), before anything is rendered, so a
wrong passphrase or an expired certificate stops the run with nothing written. Each PDF is then signed
in place in the staging folder as an incremental update (the PDF/A-3b document WeasyPrint wrote stays
untouched below it): PAdES baseline B-B, or B-T with a timestamp server. `--stamp` adds a visible block
— the office's name and the signing time in China Standard Time — in the bottom margin of the last page,
between the input-hash footer and the page number, set in a subset of the same Noto Sans CJK SC face the
documents use (embedded; never a fallback font).

pyHanko and cryptography are imported inside the functions: `jxscore --help` never loads them.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from jxscore.core.problems import Code, JxError, Problem

CST = "Asia/Shanghai"  # China Standard Time, UTC+8 all year
FIELD = "考核办签名"  # the signature field's name
# Stamp box on the last page, in pt from the page's right and bottom edges: inside the bottom margin
# (16 mm portrait, 15 mm landscape: ≥ 42.5 pt), right of the input-hash footer (ends 395 pt from the left
# on A4 portrait) and left of "第 n 页 / 共 n 页" (starts 90 pt from the right edge).
STAMP_RIGHT, STAMP_WIDTH, STAMP_BOTTOM, STAMP_TOP = 93.0, 104.0, 4.0, 40.0
STAMP_FONT_SIZE = 6
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"  # how pyHanko hands us the signing time (parsed back, shown in CST)


class SignError(JxError):
    """The signing key, certificate, passphrase or timestamp server cannot be used."""


@dataclass(frozen=True)
class SignOptions:
    """What `jxscore report --sign-*` asks for."""

    key: Path
    cert: Path
    chain: tuple[Path, ...] = ()
    stamp: bool = False
    tsa: str | None = None  # timestamp server URL: PAdES B-T instead of B-B
    pass_env: str | None = None  # name of the environment variable holding the key's passphrase


@dataclass
class Signer:
    """A loaded key with its certificate, ready to sign any number of documents.

    `load_signer` checks everything with `cryptography` alone (fast); the pyHanko side (its import is
    ~0.5 s) is built on the first signature or by `prepare()`, which a run calls while the documents
    render."""

    options: SignOptions
    office: str  # the certificate's organisation (or common name): the stamp's text
    subject: str
    not_after: dt.datetime
    key: object = field(repr=False)  # cryptography private key
    cert: object = field(repr=False)  # cryptography certificate
    chain: list = field(default_factory=list, repr=False)
    _signer: object = field(default=None, repr=False)
    _style: object = field(default=None, repr=False)
    _timestamper: object = field(default=None, repr=False)
    _reserved: int = 0
    signed: int = 0  # documents signed so far

    @property
    def level(self) -> str:
        """PAdES baseline level of the signatures: B-T with a timestamp server, else B-B."""
        return "PAdES B-T" if self.options.tsa else "PAdES B-B"

    def prepare(self) -> Signer:
        """Import pyHanko and build the signer, the stamp style and the timestamper (once)."""
        if self._signer is not None:
            return self
        from asn1crypto import keys as akeys
        from asn1crypto import x509 as ax509
        from cryptography.hazmat.primitives import serialization as ser
        from pyhanko.sign import signers
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        der = ser.Encoding.DER
        info = akeys.PrivateKeyInfo.load(self.key.private_bytes(der, ser.PrivateFormat.PKCS8, ser.NoEncryption()))
        chain = [ax509.Certificate.load(c.public_bytes(der)) for c in self.chain]
        signing_cert = ax509.Certificate.load(self.cert.public_bytes(der))
        self._signer = signers.SimpleSigner(signing_cert=signing_cert, signing_key=info,
                                            cert_registry=SimpleCertificateStore.from_certs(chain))
        # room for the CMS object (hex, so twice its DER size): signature, signed attributes, the certificates;
        # a timestamp token brings the TSA's certificates along
        certs = len(signing_cert.dump()) + sum(len(c.dump()) for c in chain)
        self._reserved = 2 * (4096 + certs) + (2 * 12288 if self.options.tsa else 0)
        if self.options.stamp:
            self._style = _stamp_style(stamp_font(self.office))
        if self.options.tsa:
            from pyhanko.sign.timestamps import HTTPTimeStamper

            self._timestamper = HTTPTimeStamper(self.options.tsa, timeout=10)
        return self

    def sign_bytes(self, data: bytes) -> bytes:
        """`data` (a PDF) with a signature appended as an incremental update."""
        from io import BytesIO

        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers

        self.prepare()
        w = IncrementalPdfFileWriter(BytesIO(data), strict=False)
        if self._style is not None:
            spec = fields.SigFieldSpec(FIELD, on_page=-1, box=_stamp_box(w))
        else:
            spec = fields.SigFieldSpec(FIELD, on_page=-1)
        meta = signers.PdfSignatureMetadata(field_name=FIELD, subfilter=fields.SigSeedSubFilter.PADES,
                                            md_algorithm="sha256", name=self.office)
        pdf_signer = signers.PdfSigner(meta, self._signer, timestamper=self._timestamper, stamp_style=self._style,
                                       new_field_spec=spec)
        out = BytesIO()
        try:
            pdf_signer.sign_pdf(w, output=out, appearance_text_params={"office": self.office},
                                bytes_reserved=self._reserved)
        except Exception as exc:
            if self._timestamper is not None and _is_tsa_failure(exc):
                raise SignError(Problem.make(Code.SIGN_TSA, value=self.options.tsa, reason=_reason(exc)))
            raise
        self.signed += 1
        return out.getvalue()

    def sign_file(self, path: Path) -> None:
        """Sign `path` in place (a file in the staging folder)."""
        path = Path(path)
        path.write_bytes(self.sign_bytes(path.read_bytes()))


def _reason(exc: BaseException) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0][:200]


def _is_tsa_failure(exc: BaseException) -> bool:
    from pyhanko.sign.timestamps import TimestampRequestError

    seen = exc
    while seen is not None:
        if isinstance(seen, TimestampRequestError | OSError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _stamp_box(w) -> tuple[int, int, int, int]:
    """stamp_rect() on the document's last page (its MediaBox, which WeasyPrint sets on every page)."""
    page = w.find_page_for_modification(-1)[0].get_object()
    x0, y0, x1, _ = (float(v) for v in page["/MediaBox"])
    r = stamp_rect(x1 - x0)
    return (round(x0 + r[0]), round(y0 + r[1]), round(x0 + r[2]), round(y0 + r[3]))


def stamp_rect(page_width: float) -> tuple[float, float, float, float]:
    """Where the stamp goes on a last page `page_width` pt wide (PDF coordinates, origin bottom left)."""
    right = page_width - STAMP_RIGHT
    return (round(right - STAMP_WIDTH), round(STAMP_BOTTOM), round(right), round(STAMP_TOP))


def _stamp_style(font: bytes):
    """A text stamp: the office, then the signing time in China Standard Time, in the embedded SC subset."""
    from io import BytesIO

    from fontTools import ttLib
    from pyhanko.pdf_utils import generic, layout
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    cff = ttLib.TTFont(BytesIO(font)).reader["CFF "]

    class PresubsetAccumulator(GlyphAccumulator):
        """The font is already the run's small subset (stamp_font): embed it whole instead of running
        fontTools' subsetter over it again for every document (~40 ms each)."""

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            cid = self.cidfont_obj

            def set_font_file(writer):  # the subset's CFF table as it is: no fontTools recompile per document
                stream = generic.StreamObject({generic.pdf_name("/Subtype"): generic.pdf_name("/CIDFontType0C")},
                                              stream_data=cff)
                stream.compress()
                ref = writer.add_object(stream)
                cid._font_descriptor[generic.pdf_name("/FontFile3")] = ref
                return ref

            cid.set_font_file = set_font_file

        def _extract_subset(self, options=None):
            return None

    @dataclass(frozen=True)
    class SubsetFont(GlyphAccumulatorFactory):
        """GlyphAccumulatorFactory over font bytes in memory (the run's pre-made subset)."""

        data: bytes = b""

        def create_font_engine(self, writer, obj_stream=None):
            return PresubsetAccumulator(writer=writer, font_handle=BytesIO(self.data), font_size=self.font_size,
                                    ot_script_tag="hani", ot_language_tag="ZHS ", writing_direction="ltr",
                                    bcp47_lang_code="zh-CN", obj_stream=obj_stream)

    @dataclass(frozen=True)
    class CSTStampStyle(TextStampStyle):
        """pyHanko formats the signing time in the machine's zone: read it back and show it in CST."""

        def create_stamp(self, writer, box, text_params):
            from zoneinfo import ZoneInfo

            ts = dt.datetime.strptime(text_params["ts"], _TS_FORMAT).astimezone(ZoneInfo(CST))
            return super().create_stamp(writer, box, {**text_params, "cst": stamp_time(ts)})

    return CSTStampStyle(
        stamp_text="电子签名\n%(office)s\n%(cst)s",
        timestamp_format=_TS_FORMAT, border_width=0, background=None,
        text_box_style=TextBoxStyle(font=SubsetFont(font_file="", font_size=STAMP_FONT_SIZE, data=font),
                                    font_size=STAMP_FONT_SIZE, leading=STAMP_FONT_SIZE + 2,
                                    box_layout_rule=layout.SimpleBoxLayoutRule(
                                        x_align=layout.AxisAlignment.ALIGN_MIN,
                                        y_align=layout.AxisAlignment.ALIGN_MID, margins=layout.Margins.uniform(0))),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(1), inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT))


def stamp_time(ts: dt.datetime) -> str:
    """2025-03-04 09:05:06 北京时间 (ts already in CST)."""
    return ts.strftime("%Y-%m-%d %H:%M:%S") + " 北京时间"


STAMP_CHARS = "电子签名北京时间0123456789-: "


def stamp_font(office: str) -> bytes:
    """Noto Sans CJK SC (the face fontconfig gives the documents), cut with HarfBuzz to the glyphs the
    stamp can use: the office's name, digits and the fixed words. Made once per run (milliseconds);
    pyHanko then subsets and embeds it in each document."""
    import uharfbuzz as hb

    path, index = _cjk_face()
    face = hb.Face(hb.Blob.from_file_path(path), index)
    inp = hb.SubsetInput()
    for ch in set(office + STAMP_CHARS):
        inp.unicode_set.add(ord(ch))
    return hb.subset(face, inp).blob.data


def _cjk_face() -> tuple[str, int]:
    """The file and face index (in a .ttc collection) of the documents' CJK face, as fontconfig picks it."""
    from jxscore.report.fonts import cjk_font_face

    return cjk_font_face()  # raises FontMissingError when fontconfig offers a fallback


def _passphrase(opts: SignOptions) -> bytes | None:
    if not opts.pass_env:
        return None
    value = os.environ.get(opts.pass_env)
    if value is None:
        raise SignError(Problem.make(Code.SIGN_PASS_ENV, value=opts.pass_env))
    return value.encode("utf-8")


def _read(path: Path, code: Code) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SignError(Problem.make(code, file=str(path), reason=exc.strerror or type(exc).__name__))


def load_signer(opts: SignOptions, *, now: dt.datetime | None = None) -> Signer:
    """Load and check the key, the certificate and the chain once; raises SignError (exit 2) when the key
    is unreadable, encrypted without --sign-pass-env, the passphrase is wrong, the key is neither ECDSA
    P-256 nor RSA, the certificate is not the key's or not valid now."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key_data = _read(opts.key, Code.SIGN_KEY)
    passphrase = _passphrase(opts)
    try:
        key = ser.load_pem_private_key(key_data, password=passphrase)
    except TypeError:  # encrypted and no passphrase, or a passphrase for a plain key
        code = Code.SIGN_PASSPHRASE_MISSING if passphrase is None else Code.SIGN_KEY
        raise SignError(Problem.make(code, file=str(opts.key), reason="passphrase given for an unencrypted key"))
    except ValueError as exc:
        encrypted = b"ENCRYPTED" in key_data
        if encrypted and passphrase is not None:
            raise SignError(Problem.make(Code.SIGN_PASSPHRASE, file=str(opts.key), value=opts.pass_env))
        raise SignError(Problem.make(Code.SIGN_KEY, file=str(opts.key), reason=_reason(exc)))
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise SignError(Problem.make(Code.SIGN_KEY, file=str(opts.key), reason=f"curve {key.curve.name}"))
    elif not isinstance(key, rsa.RSAPrivateKey):
        raise SignError(Problem.make(Code.SIGN_KEY, file=str(opts.key), reason=type(key).__name__))

    def certs(path: Path) -> list:
        try:
            found = cx509.load_pem_x509_certificates(_read(path, Code.SIGN_CERT))
        except ValueError as exc:
            raise SignError(Problem.make(Code.SIGN_CERT, file=str(path), reason=_reason(exc)))
        return found

    cert = certs(opts.cert)[0]
    chain = [c for p in opts.chain for c in certs(p)]
    pub = ser.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(ser.Encoding.DER, pub) != key.public_key().public_bytes(ser.Encoding.DER, pub):
        raise SignError(Problem.make(Code.SIGN_CERT_MISMATCH, file=str(opts.cert), value=str(opts.key)))
    now = now or dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SignError(Problem.make(Code.SIGN_CERT_EXPIRED, file=str(opts.cert),
                                     start=_cst_text(cert.not_valid_before_utc),
                                     end=_cst_text(cert.not_valid_after_utc)))
    return Signer(opts, _office(cert), cert.subject.rfc4514_string(), cert.not_valid_after_utc, key, cert, chain)


def _office(cert) -> str:
    from cryptography.x509.oid import NameOID

    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        got = cert.subject.get_attributes_for_oid(oid)
        if got:
            return str(got[0].value)
    return cert.subject.rfc4514_string()


def _cst_text(t: dt.datetime) -> str:
    from zoneinfo import ZoneInfo

    return stamp_time(t.astimezone(ZoneInfo(CST)))


# ------------------------------------------------------------------ verification

@dataclass(frozen=True)
class Verdict:
    """What `verify-pdf` found for one file."""

    file: str
    signed: bool
    intact: bool  # the signature's digest matches and it covers the whole file
    modified_after: bool  # bytes appended after the signed revision (an incremental update)
    trusted: bool  # the signer chains to a --trust certificate and was valid when checked
    signer: str = ""
    signed_at: str = ""  # as the signer claims it (or the timestamp's), China Standard Time
    timestamped: bool = False
    problem: str = ""  # why not intact or not trusted: digest, signature, damaged, or pyHanko's AdES sub-indication
    appended: int = 0  # bytes after the end of the signed range

    @property
    def ok(self) -> bool:
        return self.signed and self.intact and not self.modified_after and self.trusted

    @property
    def status(self) -> str:
        """One catalogue id: verify.intact, verify.unsigned, verify.modified, verify.appended, verify.untrusted."""
        if not self.signed:
            return "verify.unsigned"
        if not self.intact:
            return "verify.modified"
        if self.modified_after:
            return "verify.appended"
        return "verify.ok" if self.trusted else "verify.untrusted"


class PdfInputError(JxError):
    """A file given to verify-pdf is missing or is not a PDF."""


def load_trust(paths: list[Path]) -> list:
    """asn1crypto certificates of the --trust files (PEM, several per file allowed)."""
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives import serialization as ser

    out, problems = [], []
    from asn1crypto import x509 as ax509

    for p in paths:
        try:
            for c in cx509.load_pem_x509_certificates(Path(p).read_bytes()):
                out.append(ax509.Certificate.load(c.public_bytes(ser.Encoding.DER)))
        except (OSError, ValueError) as exc:
            problems.append(Problem.make(Code.SIGN_CERT, file=str(p), reason=_reason(exc)))
    if problems:
        raise PdfInputError(problems)
    return out


def verify(paths: list[Path], trust: list[Path] = (), *, moment: dt.datetime | None = None) -> list[Verdict]:
    """A Verdict per PDF; raises PdfInputError (every bad file listed) for a missing file or a non-PDF."""
    problems = []
    blobs = {}
    for p in paths:
        try:
            data = Path(p).read_bytes()
        except OSError as exc:
            problems.append(Problem.make(Code.PDF_UNREADABLE, file=str(p), reason=exc.strerror or "unreadable"))
            continue
        if not data.lstrip()[:5] == b"%PDF-":
            problems.append(Problem.make(Code.PDF_UNREADABLE, file=str(p), reason="not a PDF"))
            continue
        blobs[str(p)] = data
    roots = load_trust(list(trust))
    if problems:
        raise PdfInputError(problems)
    with _quiet_pyhanko():
        return [_verify_one(name, data, roots, moment) for name, data in blobs.items()]


@contextmanager
def _quiet_pyhanko():
    """pyHanko logs every failed path search with a traceback; the Verdict says it in one word."""
    import logging

    loggers = [logging.getLogger(n) for n in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _verify_one(name: str, data: bytes, roots: list, moment: dt.datetime | None) -> Verdict:
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        sigs = reader.embedded_signatures
    except Exception:  # a flipped byte can break the file's structure: it is modified, not valid
        return Verdict(name, signed=b"/ByteRange" in data, intact=False, modified_after=False, trusted=False,
                       problem="damaged")
    if not sigs:
        return Verdict(name, signed=False, intact=False, modified_after=False, trusted=False)
    sig = sigs[-1]
    vc = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail",
                           moment=moment, best_signature_time=None)
    try:
        st = validate_pdf_signature(sig, vc, skip_diff=True)
    except Exception:
        return Verdict(name, signed=True, intact=False, modified_after=False, trusted=False, problem="damaged")
    cert = st.signing_cert
    signer = cert.subject.native.get("organization_name") or cert.subject.native.get("common_name", "")
    when = st.timestamp_validity.timestamp if st.timestamp_validity else st.signer_reported_dt
    whole = st.coverage == SignatureCoverageLevel.ENTIRE_FILE
    problem = ""
    if not st.intact:
        problem = "digest"
    elif not st.valid:
        problem = "signature"
    elif not st.trusted:
        problem = str(st.trust_problem_indic.name if st.trust_problem_indic else "untrusted")
    return Verdict(name, signed=True, intact=bool(st.intact and st.valid), modified_after=not whole and st.intact,
                   trusted=bool(st.trusted), signer=str(signer), signed_at=_cst_text(when) if when else "",
                   timestamped=st.timestamp_validity is not None, problem=problem,
                   appended=max(0, len(data) - (sig.byte_range[2] + sig.byte_range[3])))
