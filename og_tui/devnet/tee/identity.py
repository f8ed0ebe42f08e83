"""The devnet TEE's keys: an RSA signing key and a self-signed TLS certificate.

Kept in ``<data_dir>/tee/`` (folder 0700, files 0600), generated the first time:

- ``signing_key.pem``: RSA 2048; every LLM reply is signed with it (RSA-PSS, see
  :mod:`og_tui.core.tee_proof`); its DER public key is the registry's ``publicKey`` and
  ``keccak256`` of that DER is the TEE id;
- ``tls_key.pem`` / ``tls_cert.pem``: the gateway's TLS listener; the DER certificate is
  the registry's ``tlsCertificate``, so clients pin it (valid for localhost, 127.0.0.1 and ::1;
  renewed when it has expired);
- ``tee.json``: when the TEE was first registered.

These are devnet keys on an ordinary machine, not an enclave: a signature proves which
devnet answered and that the reply was not changed, nothing about the hardware.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import time
from pathlib import Path

from og_tui.core.fsperm import private_dir, write_private
from og_tui.core.tee_proof import tee_id_of

CERT_DAYS = 825
SUBDIR = "tee"


def _der_public(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _pem_private(key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load_key(path: Path):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def _self_signed(key) -> "object":
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "og-tui devnet TEE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "og-tui devnet (local, not an enclave)"),
        ]
    )
    now = dt.datetime.now(dt.timezone.utc)
    san = x509.SubjectAlternativeName(
        [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


class TeeIdentity:
    """The devnet TEE's signing key, TLS key and certificate (loaded or generated)."""

    def __init__(self, data_dir: str | Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa

        self.dir = private_dir(Path(data_dir) / SUBDIR)
        self.signing_key_path = self.dir / "signing_key.pem"
        self.tls_key_path = self.dir / "tls_key.pem"
        self.tls_cert_path = self.dir / "tls_cert.pem"
        meta_path = self.dir / "tee.json"
        if self.signing_key_path.exists():
            self.signing_key = _load_key(self.signing_key_path)
        else:
            self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            write_private(self.signing_key_path, _pem_private(self.signing_key))
        if self.tls_key_path.exists():
            tls_key = _load_key(self.tls_key_path)
        else:
            tls_key = ec.generate_private_key(ec.SECP256R1())
            write_private(self.tls_key_path, _pem_private(tls_key))
        cert = None
        if self.tls_cert_path.exists():
            cert = x509.load_pem_x509_certificate(self.tls_cert_path.read_bytes())
            expired = cert.not_valid_after_utc <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
            if expired or cert.public_key().public_numbers() != tls_key.public_key().public_numbers():
                cert = None
        if cert is None:
            cert = _self_signed(tls_key)
            write_private(self.tls_cert_path, cert.public_bytes(serialization.Encoding.PEM))
        self.tls_cert_der: bytes = cert.public_bytes(serialization.Encoding.DER)
        self.public_key_der: bytes = _der_public(self.signing_key)
        self.tee_id: str = tee_id_of(self.public_key_der)
        meta = {}
        if meta_path.exists():
            try:
                meta = json.loads(meta_path.read_text())
            except ValueError:
                meta = {}
        if meta.get("tee_id") != self.tee_id or not isinstance(meta.get("registered_at"), int):
            meta = {"tee_id": self.tee_id, "registered_at": int(time.time())}
            write_private(meta_path, json.dumps(meta))
        self.registered_at: int = meta["registered_at"]
