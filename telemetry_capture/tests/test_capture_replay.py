"""Replay of the recorded sandbox sessions into a real capture daemon over UDP."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

from capture_helpers import read_kind, read_port, start_cli, stop_cli
from telemetry_capture.game_protocol import CAR_INFO_SIZE, RT_LAP_SIZES
from telemetry_capture.replay import read_recording
from telemetry_capture.server_protocol import decode_server_message

SANDBOX = Path(__file__).resolve().parents[2] / "sandbox" / "telemetry"


def test_server_recording_replays_into_the_same_messages(tmp_path: Path) -> None:
    recording = read_recording(SANDBOX / "server_session")
    want = Counter(decode_server_message(d)[0] for d in recording.column("raw").to_pylist())
    port_file = tmp_path / "port"
    daemon = start_cli(
        "server", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--interval-ms", "0",
        "--out", str(tmp_path / "out"), "--port-file", str(port_file), "--status", "never",
    )  # fmt: skip
    port = read_port(port_file)
    replay = start_cli(
        "replay", str(SANDBOX / "server_session"), "--to", f"127.0.0.1:{port}", "--speed", "8"
    )
    assert replay.wait(timeout=60) == 0, replay.stderr.read().decode()
    summary = stop_cli(daemon)
    assert summary["kinds"] == dict(want)
    laps = read_kind(tmp_path / "out", "lap_completed")
    original = [
        decode_server_message(d)[1]["lap_time"]
        for d in recording.column("raw").to_pylist()
        if d[0] == 73
    ]
    assert laps.column("lap_time").to_pylist() == original


def test_game_recording_is_served_like_the_game(tmp_path: Path) -> None:
    recording = read_recording(SANDBOX / "game_session")
    sizes = Counter(len(d) for d in recording.column("raw").to_pylist())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    replay = start_cli(
        "replay", str(SANDBOX / "game_session"), "--listen", f"127.0.0.1:{port}", "--speed", "4"
    )
    daemon = start_cli(
        "game", "--game", f"127.0.0.1:{port}", "--out", str(tmp_path),
        "--status", "never", "--retry-interval", "0.2",
    )  # fmt: skip
    assert replay.wait(timeout=60) == 0, replay.stderr.read().decode()
    summary = stop_cli(daemon)
    assert summary["rows"]["rt_car_info"] == sizes[CAR_INFO_SIZE]
    assert summary["rows"]["rt_lap"] == sum(sizes[s] for s in RT_LAP_SIZES)
    cars = read_kind(tmp_path, "rt_car_info")
    assert set(cars.column("capture_id").to_pylist()) == {summary["capture_id"]}
