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


# One sample of every server -> plugin message (reference B.4), for round trips and hostile input.
SESSION = {
    "protocol_version": 4,
    "session_index": 1,
    "current_session_index": 1,
    "session_count": 3,
    "server_name": "Pitwall ✓ Server 🏁",
    "track": "ks_red_bull_ring",
    "track_config": "layout_gp",
    "session_name": "Qualify",
    "session_type": 2,
    "time": 30,
    "laps": 0,
    "wait_time": 60000,
    "ambient_temp": 22,
    "road_temp": 30,
    "weather_graphics": "3_clear",
    "elapsed_ms": -60000,
}
CONNECTION = {
    "driver_name": "Jürgen",
    "driver_guid": "76561198000001234",
    "car_id": 7,
    "car_model": "ks_audi_r8_lms",
    "car_skin": "red",
}
BOARD = [
    {"car_id": 2, "time": 61000, "laps": 3, "has_completed": False},
    {"car_id": 0, "time": 61500, "laps": 2, "has_completed": True},
    {"car_id": 1, "time": 999999999, "laps": 0, "has_completed": False},
]
MESSAGES = {
    "new_session": SESSION,
    "session_info": {**SESSION, "session_index": 0},
    "new_connection": CONNECTION,
    "connection_closed": CONNECTION,
    "car_update": {
        "car_id": 3,
        "pos": [1.5, 2.0, -3.25],
        "velocity": [10.0, 0.0, -20.0],
        "gear": 4,
        "engine_rpm": 7123,
        "normalized_spline_pos": 0.5,
    },
    "car_info": {
        "car_id": 3,
        "is_connected": True,
        "car_model": "ks_ferrari_488_gt3",
        "car_skin": "rosso",
        "driver_name": "Ana",
        "driver_team": "Team",
        "driver_guid": "123",
    },
    "end_session": {"results_json_path": "results/2016_7_24_22_52_QUALIFY.json"},
    "version": {"protocol_version": 4},
    "chat": {"car_id": 2, "message": "gg ✌", "message_raw": None},
    "client_loaded": {"car_id": 5},
    "error": {"message": "ERROR: ACSP_KICK_USER index 40 out of bound"},
    "lap_completed": {
        "car_id": 2,
        "lap_time": 61000,
        "cuts": 0,
        "leaderboard": BOARD,
        "grip_level": 0.96875,
    },
    "client_event": {
        "event_type": 10,
        "car_id": 1,
        "other_car_id": 4,
        "impact_speed": 42.5,
        "world_pos": [1.0, 2.0, 3.0],
        "rel_pos": [0.5, 0.25, -1.0],
    },
}
