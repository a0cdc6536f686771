"""Replay of the recorded sandbox sessions into a real capture daemon over UDP."""

from __future__ import annotations

import json
import os
import signal
import socket
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from capture_helpers import read_kind, read_port, start_cli, stop_cli
from telemetry_capture.game_protocol import CAR_INFO_SIZE, RT_LAP_SIZES
from telemetry_capture.raw_capture import MAGIC, read_raw_capture, write_raw_capture
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


def _replay_fails(path: Path, *extra: str) -> str:
    proc = start_cli("replay", str(path), "--to", "127.0.0.1:9", *extra)
    _, stderr = proc.communicate(timeout=60)
    text = stderr.decode()
    assert proc.returncode not in (0, None), text
    assert "Traceback" not in text and len(text.strip().splitlines()) == 1, text
    assert text.startswith("telemetry-capture replay: error: ")
    return text


def test_replay_refuses_foreign_files_with_one_line(tmp_path: Path) -> None:
    random_bytes = tmp_path / "random.bin"
    random_bytes.write_bytes(os.urandom(4096))
    parquet = tmp_path / "table.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3]}), parquet)
    empty = tmp_path / "empty.acraw"
    empty.touch()
    header_only_of_another_format = tmp_path / "other.acraw"
    header_only_of_another_format.write_bytes(MAGIC + b"\x09\x00\x02\x00" + bytes(4))
    foreign_folder = tmp_path / "capture"
    (foreign_folder / "raw").mkdir(parents=True)
    pq.write_table(pa.table({"x": [1]}), foreign_folder / "raw" / "a.parquet")
    assert "not a raw capture file" in _replay_fails(random_bytes)
    assert "not a raw capture file" in _replay_fails(parquet)
    assert "is empty" in _replay_fails(empty)
    assert "version 9 is not supported" in _replay_fails(header_only_of_another_format)
    assert "is not a raw dataset" in _replay_fails(foreign_folder)
    assert "neither a raw capture file nor" in _replay_fails(tmp_path)
    assert "does not exist" in _replay_fails(tmp_path / "nowhere")


def test_a_recorded_raw_capture_file_replays_into_the_same_messages(tmp_path: Path) -> None:
    """fake acServer -> ``record`` (raw capture file) -> ``replay`` -> capture daemon."""
    import threading

    from telemetry_capture.fake_server import FakeServer, ServerSetup, SessionSpec

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        server_port = probe.getsockname()[1]
    recording = tmp_path / "session.acraw"
    recorder = start_cli(
        "record", "--listen", "127.0.0.1:0", "--server", f"127.0.0.1:{server_port}",
        "--interval-ms", "200", "--out", str(recording), "--port-file", str(tmp_path / "rec"),
    )  # fmt: skip
    server = FakeServer(
        plugin=("127.0.0.1", read_port(tmp_path / "rec")),
        bind=("127.0.0.1", server_port),
        setup=ServerSetup(cars=2, sessions=[SessionSpec("Race", 3, laps=1)], time_scale=8.0),
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()
    recorder.send_signal(signal.SIGTERM)
    stdout, stderr = recorder.communicate(timeout=30)
    assert recorder.returncode == 0, stderr.decode()
    sent = server.counters.sent
    assert json.loads(stdout.decode().splitlines()[-1])["datagrams"] == sum(sent.values())

    table = read_raw_capture(recording)
    assert Counter(decode_server_message(d)[0] for d in table.column("raw").to_pylist()) == sent
    # a writer killed mid-record leaves a torn last record: the complete ones still replay
    torn = tmp_path / "torn.acraw"
    torn.write_bytes(recording.read_bytes()[:-3])
    port_file = tmp_path / "port"
    daemon = start_cli(
        "server", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--interval-ms", "0",
        "--out", str(tmp_path / "out"), "--port-file", str(port_file), "--status", "never",
    )  # fmt: skip
    port = read_port(port_file)
    replay = start_cli("replay", str(torn), "--to", f"127.0.0.1:{port}", "--speed", "0")
    _, replay_err = replay.communicate(timeout=60)
    assert replay.returncode == 0, replay_err.decode()
    assert "torn last record" in replay_err.decode()
    summary = stop_cli(daemon)
    want = Counter(decode_server_message(d)[0] for d in table.column("raw").to_pylist()[:-1])
    assert summary["kinds"] == dict(want)


def test_the_raw_capture_format_round_trips(tmp_path: Path) -> None:
    datagrams = [(1_700_000_000_000_000 + i, bytes([50 + i % 3]) * (i * 7)) for i in range(40)]
    path = tmp_path / "x.acraw"
    write_raw_capture(path, datagrams, protocol="game")
    table = read_raw_capture(path)
    assert table.column("raw").to_pylist() == [d for _, d in datagrams]
    assert table.column("received_at").cast(pa.int64()).to_pylist() == [t for t, _ in datagrams]
    assert set(table.column("protocol").to_pylist()) == {"game"}
    assert path.read_bytes()[:8] == MAGIC
