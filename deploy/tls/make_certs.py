"""The deployment's own CA and the server certificates signed by it (``cryptography``).

    uv run python deploy/tls/make_certs.py deploy/env/tls [--names postgres,s3] [--days 825]

Writes ``ca.crt``/``ca.key`` (kept if present: re-running adds missing servers only) and,
per name, ``<name>.crt``/``<name>.key`` whose subject alternative names are the compose
service name (and ``--extra-dns`` names, e.g. the Kubernetes Service DNS). PostgreSQL clients
use ``sslmode=verify-full`` with ``sslrootcert=ca.crt``: the host name they dial must be in
the certificate. Keys are written mode 0600 (PostgreSQL refuses a key others can read).
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["write_ca", "write_server_cert"]

_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=True,
    key_cert_sign=True,
    crl_sign=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    encipher_only=False,
    decipher_only=False,
)


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)


def _read(folder: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    key = serialization.load_pem_private_key((folder / "ca.key").read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return cert, key


def write_ca(folder: Path, *, days: int = 3650, name: str = "Pitwall deployment CA") -> Path:
    """``ca.crt`` and ``ca.key`` in ``folder`` (kept when they exist)."""
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "ca.crt").exists() and (folder / "ca.key").exists():
        return folder / "ca.crt"
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .sign(key, hashes.SHA256())
    )
    _write_key(key, folder / "ca.key")
    (folder / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "ca.crt"


def write_server_cert(
    folder: Path, name: str, *, dns: tuple[str, ...] = (), days: int = 825
) -> tuple[Path, Path]:
    """``<name>.crt``/``<name>.key`` for the host names ``name`` and ``dns`` (IPs allowed)."""
    ca_cert, ca_key = _read(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in (name, *dns):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    crt, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    _write_key(key, key_path)
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return crt, key_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--names", default="postgres,s3", help="server names (comma separated)")
    parser.add_argument("--extra-dns", default="", help="more names for every server certificate")
    parser.add_argument("--days", type=int, default=825)
    args = parser.parse_args(argv)
    write_ca(args.folder)
    extra = tuple(n for n in args.extra_dns.split(",") if n)
    for name in filter(None, args.names.split(",")):
        write_server_cert(args.folder, name, dns=extra, days=args.days)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
