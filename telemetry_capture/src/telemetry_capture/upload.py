"""Ship the Parquet files a capture has completed to an S3 landing zone.

``telemetry-capture server|game --upload s3://bucket/landing/assetto/<rig>`` runs an uploader
thread beside the capture; ``telemetry-capture upload OUT --to s3://...`` does one pass (a
scheduled task on a rig PC). Only files the sink has *completed* are candidates: it writes a
journal (``.<stem>.arrows``) and a temporary ``.<stem>.parquet.tmp``, fsyncs, then renames to
``<kind>/<stem>.parquet``; hidden names are never listed, so a partial file is never sent.

Each file goes to ``<prefix>/<kind>/<name>`` with a conditional put (``If-None-Match: *``):
an object already there is the same file (capture ids are unique), so a re-run after a crash
between the upload and the bookkeeping neither overwrites nor doubles anything. Transient
errors (connection, timeouts, throttling, 5xx) are retried with exponential backoff and
jitter (stamina); a file that still fails stays local and is tried again on the next pass.

Local copies: ``delete`` removes a file once it is in the bucket; ``keep`` leaves it and
records it in ``<out>/.uploaded`` (one relative path per line, fsynced) so it is sent once.

Optional extra ``upload`` (boto3 + stamina): the daemon itself needs only pyarrow and numpy,
so both are imported only when an upload is asked for. boto3 rather than obstore: the AWS
SDK's credential chain (env, profile, SSO, IMDS, IRSA web identity), pure Python wheels that
install on any rig PC, and the same client the repo's tests already use against moto.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

__all__ = [
    "LEDGER",
    "LocalCopies",
    "UploadCounters",
    "UploadOptions",
    "Uploader",
    "add_upload_arguments",
    "add_upload_command",
    "completed_files",
    "split_s3_uri",
    "start_uploader",
]

log = logging.getLogger(__name__)
LocalCopies = Literal["keep", "delete"]
LEDGER = ".uploaded"
TRANSIENT_CODES = frozenset(
    {"RequestTimeout", "Throttling", "ThrottlingException", "SlowDown", "InternalError",
     "ServiceUnavailable", "RequestTimeTooSkewed"}
)  # fmt: skip


@dataclass(frozen=True)
class UploadOptions:
    """Where and how: ``target`` is ``s3://bucket/prefix``; retries per file, then next pass."""

    target: str
    local_copies: LocalCopies = "keep"
    interval_s: float = 10.0
    attempts: int = 6
    wait_initial_s: float = 0.5
    wait_max_s: float = 30.0
    endpoint_url: str | None = None  # default: AWS_ENDPOINT_URL, else AWS


@dataclass
class UploadCounters:
    uploaded: int = 0
    already_there: int = 0
    bytes_uploaded: int = 0
    failures: int = 0  # failed attempts (each retry counts)
    pending: int = 0  # completed files not yet in the bucket after the last pass
    last_error: str | None = None
    uploaded_keys: list[str] = field(default_factory=list)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b/`` -> ``("bucket", "a/b")``."""
    parts = urlsplit(uri)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3:// URI: {uri!r}")
    return parts.netloc, parts.path.strip("/")


def completed_files(out: Path) -> list[Path]:
    """``<kind>/<stem>.parquet`` files the sink has renamed into place, oldest name first."""
    return sorted(
        p
        for p in out.glob("*/*.parquet")
        if not p.name.startswith(".") and not p.parent.name.startswith(".") and p.is_file()
    )


def _transient(exc: Exception) -> bool:
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(
        exc,
        EndpointConnectionError | ConnectionClosedError | ConnectTimeoutError | ReadTimeoutError,
    ):
        return True
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code") in TRANSIENT_CODES or status >= 500
    return isinstance(exc, OSError)


def _client(options: UploadOptions) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=5,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": 2},  # stamina does the patient retrying
    )
    endpoint = options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    return boto3.client("s3", endpoint_url=endpoint, config=config)


class Uploader:
    """Uploads the completed files of one capture output folder."""

    def __init__(self, out: Path, *, options: UploadOptions, client: Any = None) -> None:
        self.out = out
        self.options = options
        self.bucket, self.prefix = split_s3_uri(options.target)
        self.client = client or _client(options)
        self.counters = UploadCounters()
        self.stop_event = threading.Event()
        self._ledger = out / LEDGER
        self._done = self._read_ledger()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one pass at a time (thread + final pass)

    def key_for(self, path: Path) -> str:
        relative = path.relative_to(self.out).as_posix()
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def _read_ledger(self) -> set[str]:
        if not self._ledger.is_file():
            return set()
        return {line for line in self._ledger.read_text().splitlines() if line}

    def _remember(self, relative: str) -> None:
        with self._ledger.open("a") as handle:
            handle.write(relative + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._done.add(relative)

    def _put(self, path: Path, key: str) -> bool:
        """True if this call stored the object, False if it was already there."""
        import stamina
        from botocore.exceptions import ClientError

        retrying = stamina.retry_context(
            on=self._count_and_check,
            attempts=self.options.attempts,
            timeout=None,
            wait_initial=self.options.wait_initial_s,
            wait_max=self.options.wait_max_s,
        )
        for attempt in retrying:
            with attempt, path.open("rb") as body:
                try:
                    self.client.put_object(
                        Bucket=self.bucket,
                        Key=key,
                        Body=body,
                        IfNoneMatch="*",
                        ContentType="application/vnd.apache.parquet",
                    )
                except ClientError as exc:
                    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                    if status == 412:  # PreconditionFailed: that key is already stored
                        return False
                    raise
        return True

    def _count_and_check(self, exc: Exception) -> bool:
        self.counters.failures += 1
        self.counters.last_error = f"{type(exc).__name__}: {exc}"
        log.warning("upload attempt failed: %s", self.counters.last_error)
        return _transient(exc)

    def upload_pending(self) -> int:
        """One pass over the completed files; returns how many reached the bucket now."""
        with self._lock:
            sent = 0
            pending = [
                p
                for p in completed_files(self.out)
                if p.relative_to(self.out).as_posix() not in self._done
            ]
            for index, path in enumerate(pending):
                relative = path.relative_to(self.out).as_posix()
                key = self.key_for(path)
                size = path.stat().st_size
                try:
                    stored = self._put(path, key)
                except Exception:
                    # given up for this pass (or not retryable): the file stays, next pass
                    log.exception("could not upload %s to s3://%s/%s", path, self.bucket, key)
                    self.counters.pending = len(pending) - index
                    return sent
                if stored:
                    self.counters.uploaded += 1
                    self.counters.bytes_uploaded += size
                    self.counters.uploaded_keys.append(key)
                    sent += 1
                else:
                    self.counters.already_there += 1
                if self.options.local_copies == "delete":
                    path.unlink(missing_ok=True)
                else:
                    self._remember(relative)
                log.info("landed s3://%s/%s (%d bytes)", self.bucket, key, size)
            self.counters.pending = 0
            return sent

    def _run(self) -> None:
        while not self.stop_event.wait(self.options.interval_s):
            try:
                self.upload_pending()
            except Exception:  # keep the capture running; the next pass tries again
                log.exception("upload pass failed")

    def start(self) -> Uploader:
        self._thread = threading.Thread(target=self._run, name="s3-uploader", daemon=True)
        self._thread.start()
        return self

    def finish(self) -> dict[str, Any]:
        """Stop the thread, then a last pass (the files the capture closed on its way out)."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join()
        self.upload_pending()
        c = self.counters
        return {
            "uploaded": c.uploaded,
            "already_there": c.already_there,
            "bytes_uploaded": c.bytes_uploaded,
            "failed_attempts": c.failures,
            "pending": c.pending,
        }


def _options(args: argparse.Namespace, target: str) -> UploadOptions:
    return UploadOptions(
        target=target,
        local_copies=args.local_copies,
        interval_s=args.upload_interval,
        attempts=args.upload_attempts,
    )


def start_uploader(out: Path, args: argparse.Namespace) -> Uploader:
    """The uploader thread of a capture run with ``--upload``."""
    return Uploader(out, options=_options(args, args.upload)).start()


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--local-copies",
        choices=("keep", "delete"),
        default="keep",
        help="after a file is in the bucket: keep it (listed in <out>/.uploaded) or delete it",
    )
    p.add_argument("--upload-interval", type=float, default=10.0, help="seconds between passes")
    p.add_argument(
        "--upload-attempts", type=int, default=6, help="tries per file per pass (backoff)"
    )


def add_upload_arguments(p: argparse.ArgumentParser) -> None:
    """``--upload s3://...`` and its options, on the capture commands."""
    p.add_argument(
        "--upload",
        default=None,
        metavar="S3_URI",
        help="ship completed files to s3://bucket/prefix/<kind>/ (needs the 'upload' extra)",
    )
    _common(p)


def _cmd_upload(args: argparse.Namespace) -> int:
    import json
    import sys

    uploader = Uploader(Path(args.out), options=_options(args, args.to))
    summary = uploader.finish()
    sys.stdout.write(json.dumps(summary) + "\n")
    return 0 if summary["pending"] == 0 else 1


def add_upload_command(sub: Any) -> None:
    """``telemetry-capture upload OUT --to s3://...``: one pass, exit 1 if files remain."""
    p = sub.add_parser("upload", help="ship a capture folder's completed files to S3 once")
    p.add_argument("out", help="the capture's output folder")
    p.add_argument("--to", required=True, metavar="S3_URI", help="s3://bucket/prefix")
    _common(p)
    p.set_defaults(func=_cmd_upload)
