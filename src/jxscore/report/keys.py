"""A throwaway test PKI for demos and tests (`jxscore keys demo`): two unrelated CAs, each with one
signer. Every name says 测试用 (for testing only); an office signs with its real certificate instead.

Uses the `cryptography` package (pyHanko depends on it), imported inside the functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

OFFICE_NAME = "江西省节能减排考核办公室（测试用）"  # X.520 names: at most 64 bytes of UTF-8
CA_NAME = "jxscore 测试用根证书（勿用于正式文件）"
OTHER_CA_NAME = "其他机构测试用根证书（与考核办无关）"
OTHER_NAME = "其他机构签名人（测试用）"

# name → what it is, in the order `keys demo` writes them
DEMO_FILES = {
    "ca.pem": "测试用根证书（信任它即可验证考核办的测试签名）",
    "office-key.pem": "考核办测试签名私钥（ECDSA P-256，无口令）",
    "office-cert.pem": "考核办测试签名证书（由ca.pem签发）",
    "other-ca.pem": "另一个无关的测试用根证书",
    "other-key.pem": "另一签名人的私钥",
    "other-cert.pem": "另一签名人的证书（由other-ca.pem签发，不受ca.pem信任）",
}


@dataclass(frozen=True)
class Issued:
    """A key and its certificate (cryptography objects)."""

    key: object
    cert: object


def new_key(kind: str = "ec"):
    """A fresh private key: ECDSA P-256 ("ec", default) or RSA 2048 ("rsa")."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, org: str | None = None):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
             x509.NameAttribute(NameOID.ORGANIZATION_NAME, org or cn),
             x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    return x509.Name(attrs)


def make_ca(cn: str, *, days: int = 3650, key=None, now: dt.datetime | None = None) -> Issued:
    """A self-signed CA certificate (path length 0: it only issues end-entity certificates)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = key or new_key()
    now = now or dt.datetime.now(dt.UTC)
    name = _name(cn)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return Issued(key, cert)


def issue(ca: Issued, cn: str, *, org: str | None = None, key=None, not_before: dt.datetime | None = None,
          not_after: dt.datetime | None = None) -> Issued:
    """A signing certificate for `cn` issued by `ca` (digital signature + non-repudiation)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    key = key or new_key()
    now = dt.datetime.now(dt.UTC)
    not_before = not_before or now - dt.timedelta(days=1)
    not_after = not_after or now + dt.timedelta(days=730)
    cert = (x509.CertificateBuilder().subject_name(_name(cn, org)).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return Issued(key, cert)


def key_pem(key, passphrase: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with `passphrase` when given."""
    from cryptography.hazmat.primitives import serialization as ser

    enc = ser.BestAvailableEncryption(passphrase) if passphrase else ser.NoEncryption()
    return key.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.PKCS8, enc)


def cert_pem(cert) -> bytes:
    from cryptography.hazmat.primitives import serialization as ser

    return cert.public_bytes(ser.Encoding.PEM)


def demo_pki(stage: Path) -> list[str]:
    """Write the demo PKI (DEMO_FILES) into `stage`; returns the file names. The CA keys are not kept."""
    ca = make_ca(CA_NAME)
    office = issue(ca, OFFICE_NAME)
    other_ca = make_ca(OTHER_CA_NAME)
    other = issue(other_ca, OTHER_NAME)
    blobs = {"ca.pem": cert_pem(ca.cert), "office-key.pem": key_pem(office.key),
             "office-cert.pem": cert_pem(office.cert), "other-ca.pem": cert_pem(other_ca.cert),
             "other-key.pem": key_pem(other.key), "other-cert.pem": cert_pem(other.cert)}
    for name, data in blobs.items():
        (stage / name).write_bytes(data)
        if name.endswith("key.pem"):
            (stage / name).chmod(0o600)
    return list(blobs)
