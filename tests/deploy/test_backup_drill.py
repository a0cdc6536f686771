"""The restore drill (deploy/postgres/pitr.py) against an embedded PostgreSQL (pgserver's
binaries) and moto's S3 server: WAL archived by archive_command, a base backup, more commits,
then a point-in-time restore: rows committed before the target are back, later ones are not."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from pgserver._commands import POSTGRES_BIN_PATH

from tests.deploy.helpers import DEPLOY
from tests.deploy.pg_cluster import Cluster
from tests.s3server import free_port, run_moto_server

PITR = DEPLOY / "postgres" / "pitr.py"
BUCKET = "pitwall-backups"
S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
          "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}  # fmt: skip


def server_python() -> str:
    """The interpreter the server's user runs pitr.py with. As root, the server runs as
    pgserver, who cannot reach a venv under /root: Debian's python3 with this venv's packages
    on PYTHONPATH instead (the postgres image also runs pitr.py with Debian's python3)."""
    if os.geteuid() != 0:
        return sys.executable
    system = shutil.which("python3", path="/usr/bin:/bin")
    if system is None:
        pytest.skip("running as root needs Debian's python3 for the server's user")
    return system


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="pitwall-pitr-"))
    with run_moto_server() as endpoint:
        boto3.client("s3", endpoint_url=endpoint, **{"region_name": "us-east-1",
                     "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
                     ).create_bucket(Bucket=BUCKET)  # fmt: skip
        site = next(p for p in sys.path if p.endswith("site-packages"))
        env = {**os.environ, **S3_ENV, "AWS_ENDPOINT_URL": endpoint, "PYTHONPATH": site,
               "PITWALL_BACKUP_URI": f"s3://{BUCKET}/pitwall", "PGBIN": str(POSTGRES_BIN_PATH),
               "HOME": str(root)}  # fmt: skip
        node = Cluster(root, env)
        if node.user:
            shutil.chown(root, "pgserver", "pgserver")
        archive = f"{server_python()} {PITR} wal-push %p %f"
        node.start(f"-c wal_level=replica -c archive_mode=on -c archive_command='{archive}'")
        try:
            yield node
        finally:
            node.stop()
            shutil.rmtree(root, ignore_errors=True)


def wait_archived(cluster: Cluster, segment: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = cluster.sql("SELECT last_archived_wal FROM pg_stat_archiver", "postgres")
        if done and done >= segment:
            return
        time.sleep(0.2)
    raise AssertionError(f"WAL {segment} was not archived")


def test_point_in_time_restore_keeps_what_came_before_the_target_only(cluster: Cluster) -> None:
    cluster.sql("CREATE DATABASE pitwall", "postgres")
    cluster.sql("CREATE TABLE laps (id serial PRIMARY KEY, phase text NOT NULL)")
    cluster.sql("INSERT INTO laps (phase) SELECT 'in-base-backup' FROM generate_series(1, 100)")
    backup = cluster.run(server_python(), str(PITR), "base-backup", check=False)
    assert backup.returncode == 0, backup.stderr
    # these commits exist only in the WAL archive
    cluster.sql("INSERT INTO laps (phase) SELECT 'before-target' FROM generate_series(1, 40)")
    time.sleep(1.0)
    target = cluster.sql("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                         "'YYYY-MM-DD\"T\"HH24:MI:SS.US+00:00')")  # fmt: skip
    time.sleep(1.0)
    cluster.sql("INSERT INTO laps (phase) SELECT 'after-target' FROM generate_series(1, 7)")
    segment = cluster.sql("SELECT pg_walfile_name(pg_switch_wal())", "postgres")
    wait_archived(cluster, segment)

    check = "SELECT phase || '=' || count(*) FROM laps GROUP BY phase ORDER BY phase"
    drill = cluster.run(server_python(), str(PITR), "drill", "--target-time", target,
                        "--check-sql", check, "--port", str(free_port()), check=False)  # fmt: skip
    assert drill.returncode == 0, drill.stderr[-4000:]
    report = json.loads(drill.stdout.strip().splitlines()[-1])
    assert report["rows"] == ["before-target=40", "in-base-backup=100"]
    assert report["base_backup"] == json.loads(backup.stdout)["label"]
    # the source kept everything; the drill left no server and no folder behind
    assert cluster.sql(check).split() == [
        "after-target=7",
        "before-target=40",
        "in-base-backup=100",
    ]


def test_a_wal_segment_is_archived_once_and_never_replaced(cluster: Cluster) -> None:
    segment = cluster.root / "000000010000000000000099"
    segment.write_bytes(b"x" * 1024)
    push = [server_python(), str(PITR), "wal-push", str(segment), segment.name]
    assert cluster.run(*push, check=False).returncode == 0
    assert cluster.run(*push, check=False).returncode == 0  # same bytes again: fine
    segment.write_bytes(b"y" * 1024)
    refused = cluster.run(*push, check=False)
    assert refused.returncode == 1 and "exists with other content" in refused.stderr
    fetched = cluster.root / "fetched"
    fetch = [server_python(), str(PITR), "wal-fetch", segment.name, str(fetched)]
    assert cluster.run(*fetch, check=False).returncode == 0
    assert fetched.read_bytes() == b"x" * 1024
    missing = [server_python(), str(PITR), "wal-fetch", "00000001000000000000FFFF", str(fetched)]
    assert cluster.run(*missing, check=False).returncode == 1
