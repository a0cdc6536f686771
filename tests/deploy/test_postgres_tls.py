"""PostgreSQL with TLS on, as deployed: a CA made by deploy/tls/make_certs.py, the server's
certificate signed by it, deploy/postgres/pg_hba.conf (TLS only over the network), and libpq
clients with sslmode=verify-full (real psycopg). The server is Debian's (the one
tests/ensure_postgres.sh installs for `make test`): pgserver's build has no SSL at all."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import psycopg
import pytest

from tests.deploy.helpers import DEPLOY
from tests.deploy.pg_cluster import Cluster, debian_server_bin

PASSWORD = "tls-test-password"


def make_certs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_certs", DEPLOY / "tls" / "make_certs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[Cluster]:
    bin_dir = debian_server_bin()
    if bin_dir is None:
        pytest.skip("no Debian PostgreSQL server (tests/ensure_postgres.sh installs it)")
    root = Path(tempfile.mkdtemp(prefix="pitwall-tls-"))
    certs = make_certs()
    tls = root / "tls"
    ca = certs.write_ca(tls)
    # the name clients dial (compose: `postgres`; here `localhost`), and no IP address
    crt, key = certs.write_server_cert(tls, "postgres", dns=("localhost",))
    hba = root / "pg_hba.conf"
    shutil.copy(DEPLOY / "postgres" / "pg_hba.conf", hba)
    (root / "pw").write_text(PASSWORD)
    node = Cluster(root, dict(os.environ), bin_dir=bin_dir)
    if node.user:
        for path in (root, tls, *tls.iterdir(), hba, root / "pw"):
            shutil.chown(path, "pgserver", "pgserver")
    options = (
        f"-c ssl=on -c ssl_cert_file={crt} -c ssl_key_file={key} -c hba_file={hba} "
        "-c password_encryption=scram-sha-256 -c ssl_min_protocol_version=TLSv1.2"
    )
    node.start(
        options, "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={root / 'pw'}"
    )
    node.ca = ca  # type: ignore[attr-defined]
    try:
        yield node
    finally:
        node.stop()
        shutil.rmtree(root, ignore_errors=True)


def connect(cluster: Cluster, host: str, sslmode: str, root_cert: Path) -> psycopg.Connection:
    return psycopg.connect(host=host, port=cluster.port, user="postgres", password=PASSWORD,
                           dbname="postgres", sslmode=sslmode, sslrootcert=str(root_cert),
                           connect_timeout=10)  # fmt: skip


def test_verify_full_connects_over_tls(tls_cluster: Cluster) -> None:
    with connect(tls_cluster, "localhost", "verify-full", tls_cluster.ca) as conn:  # type: ignore[attr-defined]
        ssl, version = conn.execute(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
        assert ssl is True and version in ("TLSv1.2", "TLSv1.3")


def test_a_name_outside_the_certificate_is_refused(tls_cluster: Cluster) -> None:
    ca = tls_cluster.ca  # type: ignore[attr-defined]
    with pytest.raises(psycopg.OperationalError, match=r"does not match|certificate"):
        connect(tls_cluster, "127.0.0.1", "verify-full", ca)
    # the same address passes verify-ca: verify-full's host name check is what refused it
    with connect(tls_cluster, "127.0.0.1", "verify-ca", ca) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_another_ca_is_refused(tls_cluster: Cluster, tmp_path: Path) -> None:
    other = make_certs().write_ca(tmp_path / "other", name="Not the deployment CA")
    with pytest.raises(psycopg.OperationalError, match="certificate verify failed"):
        connect(tls_cluster, "localhost", "verify-full", other)


def test_plain_connections_are_refused_by_pg_hba(tls_cluster: Cluster) -> None:
    with pytest.raises(psycopg.OperationalError, match=r"no pg_hba\.conf entry|no encryption"):
        psycopg.connect(host="localhost", port=tls_cluster.port, user="postgres",
                        password=PASSWORD, dbname="postgres", sslmode="disable",
                        connect_timeout=10)  # fmt: skip
