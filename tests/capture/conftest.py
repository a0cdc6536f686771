"""The capture daemon as a real process (CLI over real UDP, the fake acServer in this
process), and moto's S3 server for its uploads."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from telemetry_capture.fake_server import FakeServer, ServerSetup, SessionSpec

from tests.s3server import free_port, run_moto_server

BUCKET = "pitwall-lake"
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def wait_for(condition: Callable[[], Any], *, timeout: float = 30.0, what: str = "it") -> Any:
    """Poll ``condition`` until truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, **{
        "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
        "region_name": "us-east-1"})  # fmt: skip


def list_keys(s3: Any, prefix: str = "") -> dict[str, bytes]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in S3_ENV.items():
        monkeypatch.setenv(name, value)
    with run_moto_server() as endpoint:
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        yield endpoint


@dataclass
class Daemon:
    proc: subprocess.Popen
    out: Path
    metrics_url: str
    plugin_port: int

    def stop(self) -> dict[str, Any]:
        """SIGTERM, wait, and the JSON summary (last stdout line)."""
        self.proc.send_signal(signal.SIGTERM)
        stdout, stderr = self.proc.communicate(timeout=60)
        assert self.proc.returncode == 0, stderr.decode()[-4000:]
        return json.loads(stdout.decode().strip().splitlines()[-1])


@pytest.fixture
def run_daemon(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Start ``telemetry-capture server`` fed by a fake acServer; extra CLI args allowed."""
    started: list[tuple[Daemon, FakeServer]] = []

    def start(*extra: str, seconds: float = 4.0) -> Daemon:
        bind = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        bind.bind(("127.0.0.1", 0))
        server_port = bind.getsockname()[1]
        bind.close()
        out, port_file = tmp_path / "capture", tmp_path / "plugin.port"
        metrics_port = free_port()
        args = ["server", "--listen", "127.0.0.1:0", "--server", f"127.0.0.1:{server_port}",
                "--interval-ms", "50", "--out", str(out), "--port-file", str(port_file),
                "--status", "never", "--roll-seconds", "1", "--flush-interval", "0.2",
                "--metrics", f"127.0.0.1:{metrics_port}", *extra]  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-m", "telemetry_capture", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        plugin_port = int(
            wait_for(lambda: port_file.exists() and port_file.read_text().strip(), what="port")
        )
        setup = ServerSetup(cars=3, sessions=[SessionSpec("Race", 3, seconds=seconds)],
                            time_scale=4.0)  # fmt: skip
        server = FakeServer(
            plugin=("127.0.0.1", plugin_port), bind=("127.0.0.1", server_port), setup=setup
        )
        threading.Thread(target=server.run, kwargs={"duration": seconds}, daemon=True).start()
        daemon = Daemon(proc, out, f"http://127.0.0.1:{metrics_port}/metrics", plugin_port)
        started.append((daemon, server))
        return daemon

    yield start
    for daemon, server in started:
        server.stop_event.set()
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.communicate(timeout=30)
