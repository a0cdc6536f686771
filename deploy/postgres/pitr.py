#!/usr/bin/env python3
"""PostgreSQL base backups and WAL archiving to the object store, and point-in-time restores.

    pitr.py wal-push %p %f           archive_command: one WAL segment to <uri>/wal/<name>
    pitr.py wal-fetch %f %p          restore_command: one WAL segment back (exit 1 if absent)
    pitr.py base-backup              pg_basebackup (tar, gzip) to <uri>/base/<UTC stamp>/
    pitr.py restore DIR --target-time T      the newest base backup before T, set to replay
                                             the archived WAL up to T, then promote
    pitr.py drill --target-time T --check-sql SQL [--port P]
                                     restore into a scratch folder, start a server on P,
                                     wait for the end of recovery, run SQL, print JSON, stop

Settings: PITWALL_BACKUP_URI (``s3://bucket/prefix``), AWS_* (AWS_ENDPOINT_URL for another
store), PGBIN (the server's binaries; default: on PATH), PG* (libpq, for base-backup).

Why not pgBackRest or WAL-G: WAL-G is on no registry this project installs from, and Debian's
pgBackRest (2.45) refuses PostgreSQL 16, the embedded server the restore drill is tested
against (``is this version of PostgreSQL supported?``). pg_basebackup, archive_command and
restore_command are PostgreSQL's own, documented PITR mechanism; this file only moves their
files to and from S3 (boto3: python3-boto3 in the postgres image). Each WAL segment is put
with ``If-None-Match: *``: a segment archived twice (a retry after a crash) is not rewritten,
and a *different* segment under an existing name fails loudly, as PostgreSQL requires.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.exceptions import ClientError

STAMP = "%Y%m%dT%H%M%S%fZ"


def _store() -> tuple[Any, str, str]:
    uri = urlsplit(os.environ["PITWALL_BACKUP_URI"])
    if uri.scheme != "s3":
        raise SystemExit("PITWALL_BACKUP_URI must be s3://bucket/prefix")
    client = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
    return client, uri.netloc, uri.path.strip("/")


def _key(prefix: str, *parts: str) -> str:
    return "/".join(p for p in (prefix, *parts) if p)


def _bin(name: str) -> str:
    folder = os.environ.get("PGBIN")
    return str(Path(folder) / name) if folder else name


def wal_push(path: Path, name: str) -> int:
    client, bucket, prefix = _store()
    body = path.read_bytes()
    key = _key(prefix, "wal", name)
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, IfNoneMatch="*")
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") != 412:
            raise
        stored = client.get_object(Bucket=bucket, Key=key)["Body"].read()
        if hashlib.sha256(stored).digest() != hashlib.sha256(body).digest():
            print(f"wal-push: {key} exists with other content", file=sys.stderr)
            return 1
    return 0


def wal_fetch(name: str, destination: Path) -> int:
    client, bucket, prefix = _store()
    try:
        body = client.get_object(Bucket=bucket, Key=_key(prefix, "wal", name))["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return 1  # not archived (yet): PostgreSQL then ends recovery or waits
        raise
    partial = destination.with_name(destination.name + ".partial")
    partial.write_bytes(body)
    os.replace(partial, destination)
    return 0


def base_backup() -> str:
    """Run pg_basebackup (tar, gzip, no WAL: the archive has it) and upload it; the label."""
    client, bucket, prefix = _store()
    label = dt.datetime.now(dt.UTC).strftime(STAMP)
    with tempfile.TemporaryDirectory(prefix="pitwall-base-") as tmp:
        subprocess.run(
            [_bin("pg_basebackup"), "-D", tmp, "-F", "t", "-z", "-X", "none", "-c", "fast",
             "-l", f"pitwall {label}"],
            check=True,
        )  # fmt: skip
        for file in sorted(Path(tmp).iterdir()):
            client.upload_file(str(file), bucket, _key(prefix, "base", label, file.name))
        done = json.dumps({"label": label, "files": sorted(p.name for p in Path(tmp).iterdir())})
        # written last: a backup without it is incomplete and never restored from
        client.put_object(Bucket=bucket, Key=_key(prefix, "base", label, "DONE.json"), Body=done)
    return label


def _labels_before(target: dt.datetime) -> list[str]:
    client, bucket, prefix = _store()
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=_key(prefix, "base") + "/"
    )
    labels = []
    for page in pages:
        for item in page.get("Contents", []):
            parts = item["Key"].split("/")
            if parts[-1] == "DONE.json":
                stamp = dt.datetime.strptime(parts[-2], STAMP).replace(tzinfo=dt.UTC)
                if stamp < target:
                    labels.append(parts[-2])
    return sorted(labels)


def restore(folder: Path, *, target: dt.datetime, fetch_command: str) -> str:
    """Unpack the newest complete base backup before ``target`` into ``folder`` (empty) and
    configure recovery up to ``target``; returns the base backup's label."""
    labels = _labels_before(target)
    if not labels:
        raise SystemExit(f"no complete base backup before {target.isoformat()}")
    label = labels[-1]
    client, bucket, prefix = _store()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    done = json.loads(
        client.get_object(Bucket=bucket, Key=_key(prefix, "base", label, "DONE.json"))[
            "Body"
        ].read()
    )
    with tempfile.TemporaryDirectory(prefix="pitwall-restore-") as tmp:
        for name in done["files"]:
            archive = Path(tmp) / name
            client.download_file(bucket, _key(prefix, "base", label, name), str(archive))
            if name.startswith("base."):
                with tarfile.open(archive) as tar:
                    # the "data" filter (no absolute paths, links out, devices) where it exists
                    # (Python >= 3.11.4); our own backup otherwise
                    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                    tar.extractall(folder, **safe)  # nosec B202
    with (folder / "postgresql.auto.conf").open("a") as conf:
        conf.write(
            f"\nrestore_command = '{fetch_command}'\n"
            f"recovery_target_time = '{target.isoformat()}'\n"
            "recovery_target_action = 'promote'\n"
        )
    (folder / "recovery.signal").touch()
    return label


def _wait_ready(port: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        query = [_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d",
                 "postgres", "-Atc", "SELECT pg_is_in_recovery()"]  # fmt: skip
        result = subprocess.run(query, capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip() == "f":
            return
        time.sleep(0.5)
    raise SystemExit("the restored server did not finish recovery in time")


def drill(*, target: dt.datetime, check_sql: str, port: int, database: str) -> dict[str, Any]:
    """Restore into a scratch folder, start it, run ``check_sql``, stop and clean up."""
    scratch = Path(tempfile.mkdtemp(prefix="pitwall-drill-"))
    data = scratch / "data"
    fetch = f"{sys.executable} {Path(__file__).resolve()} wal-fetch %f %p"
    label = restore(data, target=target, fetch_command=fetch)
    log = scratch / "server.log"
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c archive_mode=off -k {scratch}"
    subprocess.run([_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
                    "start"], check=True)  # fmt: skip
    try:
        _wait_ready(port)
        query = [_bin("psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d",
                 database, "-AtXc", check_sql]  # fmt: skip
        rows = subprocess.run(query, capture_output=True, text=True, check=True).stdout
    finally:
        subprocess.run([_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       check=False)  # fmt: skip
        shutil.rmtree(scratch, ignore_errors=True)
    return {"base_backup": label, "target_time": target.isoformat(), "rows": rows.splitlines()}


def _time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    push = sub.add_parser("wal-push")
    push.add_argument("path", type=Path)
    push.add_argument("name")
    fetch = sub.add_parser("wal-fetch")
    fetch.add_argument("name")
    fetch.add_argument("destination", type=Path)
    sub.add_parser("base-backup")
    rest = sub.add_parser("restore")
    rest.add_argument("folder", type=Path)
    rest.add_argument("--target-time", type=_time, required=True)
    run = sub.add_parser("drill")
    run.add_argument("--target-time", type=_time, required=True)
    run.add_argument("--check-sql", required=True)
    run.add_argument("--port", type=int, default=55432)
    run.add_argument("--database", default="pitwall")
    args = parser.parse_args(argv)
    if args.command == "wal-push":
        return wal_push(args.path, args.name)
    if args.command == "wal-fetch":
        return wal_fetch(args.name, args.destination)
    if args.command == "base-backup":
        print(json.dumps({"label": base_backup()}))
        return 0
    if args.command == "restore":
        fetch_command = f"{sys.executable} {Path(__file__).resolve()} wal-fetch %f %p"
        label = restore(args.folder, target=args.target_time, fetch_command=fetch_command)
        print(json.dumps({"label": label}))
        return 0
    result = drill(target=args.target_time, check_sql=args.check_sql, port=args.port,
                   database=args.database)  # fmt: skip
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
