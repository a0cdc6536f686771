"""Helpers for the capture tests: run the real CLI as a subprocess, read its output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "ac_samples" / "remote_telemetry"


def expected(folder: Path) -> dict:
    return json.loads((folder / "expected_decoded.json").read_text())


def wait_for(
    condition: Callable[[], Any], *, timeout: float = 20.0, what: str = "condition"
) -> Any:
    """Poll ``condition`` until truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_cli(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "telemetry_capture", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def stop_cli(proc: subprocess.Popen, *, sig: int = signal.SIGTERM, timeout: float = 30.0) -> dict:
    """Signal the process, wait, and return its JSON summary (last stdout line)."""
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, stderr.decode()
    return json.loads(stdout.decode().strip().splitlines()[-1])


def read_port(path: Path) -> int:
    return int(
        wait_for(lambda: path.exists() and path.read_text().strip(), what=f"port file {path}")
    )


def read_kind(out: Path, kind: str) -> pa.Table:
    """All completed Parquet files of one dataset (each must open on its own)."""
    files = sorted((out / kind).glob("*.parquet"))
    for f in files:
        pq.read_metadata(f)
    if not files:
        return pa.table({})
    return ds.dataset([str(f) for f in files], format="parquet").to_table().sort_by("received_at")


def hidden_leftovers(out: Path) -> list[Path]:
    """Temporary or journal files left in the output (there must be none after a clean stop)."""
    return [p for p in out.rglob(".*") if p.is_file() and ".locks" not in p.parts]
