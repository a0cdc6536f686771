"""Output files: rolling, temp + rename, crash safety (SIGKILL) and recovery."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from capture_helpers import hidden_leftovers, read_kind, start_cli, stop_cli, wait_for
from telemetry_capture.game_protocol import (
    OP_SUBSCRIBE_UPDATE,
    decode_handshaker,
    encode_handshake_response,
)
from telemetry_capture.locking import is_locked
from telemetry_capture.schemas import schema_for
from telemetry_capture.server_protocol import encode_server_message
from telemetry_capture.sink import DatasetSink, SinkOptions, read_journal, recover_journals


def _rows(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "received_at": 1_700_000_000_000_000 + i,
            "source": "127.0.0.1:1",
            "capture_id": "c",
            "car_id": i % 256,
        }
        for i in range(start, start + n)
    ]


def test_files_roll_by_size_and_only_complete_files_are_visible(tmp_path: Path) -> None:
    sink = DatasetSink(
        tmp_path, capture_id="cap-a", options=SinkOptions(roll_bytes=4096, roll_seconds=3600)
    )
    for i in range(10):
        sink.add_rows("client_loaded", _rows(300, 300 * i))
        sink.flush()
    counters = sink.close()
    files = sorted((tmp_path / "client_loaded").glob("*.parquet"))
    assert len(files) == counters.files_written > 1
    assert [f.name for f in files] == sorted(f.name for f in files)
    assert (
        sum(pq.read_metadata(f).num_rows for f in files) == 3000 == counters.rows["client_loaded"]
    )
    assert hidden_leftovers(tmp_path) == []
    assert read_kind(tmp_path, "client_loaded").column("car_id").to_pylist() == [
        i % 256 for i in range(3000)
    ]


def test_files_roll_by_time(tmp_path: Path) -> None:
    sink = DatasetSink(tmp_path, capture_id="cap-t", options=SinkOptions(roll_seconds=0.0))
    sink.add_rows(
        "version", [{"received_at": 1, "source": "s", "capture_id": "c", "protocol_version": 4}]
    )
    sink.flush()
    wait_for(lambda: list((tmp_path / "version").glob("*.parquet")), what="rolled file")
    sink.add_rows(
        "version", [{"received_at": 2, "source": "s", "capture_id": "c", "protocol_version": 4}]
    )
    sink.close()
    assert len(list((tmp_path / "version").glob("*.parquet"))) == 2


def test_recovery_keeps_complete_batches_of_a_torn_journal_and_skips_live_captures(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "version"
    folder.mkdir()
    journal = folder / ".dead-capture-00001.arrows"
    schema = schema_for("version")
    with pa.OSFile(str(journal), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        for i in range(3):
            writer.write_batch(
                pa.RecordBatch.from_pylist(
                    [
                        {
                            "received_at": i,
                            "source": "s",
                            "capture_id": "dead-capture",
                            "protocol_version": 4,
                        }
                    ],
                    schema=schema,
                )
            )
    with open(journal, "ab") as handle:  # a torn write at the moment of the kill
        handle.write(b"\xff\xff\xff\xff\x80\x00\x00\x00garbage")
    live = DatasetSink(tmp_path, capture_id="live-capture")
    live.add_rows(
        "version",
        [{"received_at": 9, "source": "s", "capture_id": "live-capture", "protocol_version": 4}],
    )
    live.flush()
    wait_for(lambda: list(folder.glob(".live-capture-*.arrows")), what="live journal")
    assert is_locked(tmp_path, "live-capture") and not is_locked(tmp_path, "dead-capture")

    recovered = recover_journals(tmp_path)
    assert [p.name for p in recovered] == ["dead-capture-00001.parquet"]
    assert pq.read_table(recovered[0]).num_rows == 3
    assert list(folder.glob(".live-capture-*.arrows"))  # untouched while its owner runs
    live.close()
    assert recover_journals(tmp_path) == []
    assert hidden_leftovers(tmp_path) == []


def test_sigkill_loses_at_most_the_last_flush_and_leaves_no_corrupt_file(tmp_path: Path) -> None:
    game = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    game.bind(("127.0.0.1", 0))
    game.settimeout(10)
    out = tmp_path / "out"
    proc = start_cli(
        "game", "--game", f"127.0.0.1:{game.getsockname()[1]}", "--out", str(out),
        "--flush-interval", "0.2", "--roll-seconds", "3600", "--roll-mb", "0.05",
        "--status", "never",
    )  # fmt: skip
    response = encode_handshake_response(
        car_name="c", driver_name="d", track_name="t", track_config="t"
    )
    subscriber = None
    while subscriber is None:
        data, addr = game.recvfrom(64)
        if decode_handshaker(data)["operation_id"] == 0:
            game.sendto(response, addr)
        elif decode_handshaker(data)["operation_id"] == OP_SUBSCRIBE_UPDATE:
            subscriber = addr
    from telemetry_capture.fake_game import FakeGame

    packets = FakeGame(bind=("127.0.0.1", 0))
    sent = 0
    for _burst in range(30):  # ~1.5 s of data: several rolled files plus an open journal
        for _ in range(100):
            game.sendto(packets.car_info(sent * 0.003), subscriber)
            sent += 1
        time.sleep(0.05)

    def durable_rows() -> int:
        done = sum(pq.read_metadata(f).num_rows for f in (out / "rt_car_info").glob("*.parquet"))
        journals = [read_journal(j) for j in (out / "rt_car_info").glob(".*.arrows")]
        return done + sum(t.num_rows for t in journals if t is not None)

    wait_for(lambda: durable_rows() == sent, what="everything flushed")  # within one flush interval
    journal = out / "rt_car_info"
    for _ in range(50):  # one more row at a time until it sits flushed in an open segment
        if list(journal.glob(".*.arrows")) and durable_rows() == sent:
            break
        game.sendto(packets.car_info(sent * 0.003), subscriber)
        sent += 1
        time.sleep(0.3)  # longer than the flush interval
    assert list((out / "rt_car_info").glob("*.parquet"))  # segments rolled by size
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()
    proc.stderr.close()
    game.close()
    packets.sock.close()
    for f in (out / "rt_car_info").glob("*.parquet"):
        pq.read_metadata(f)  # every visible file is complete
    assert list((out / "rt_car_info").glob(".*.arrows"))  # the open segment's journal survived
    recover = start_cli("recover", str(out))
    assert recover.wait(timeout=30) == 0
    recover.stdout.close()
    recover.stderr.close()
    assert read_kind(out, "rt_car_info").num_rows == sent
    assert hidden_leftovers(out) == []


def test_sigterm_flushes_everything(tmp_path: Path) -> None:
    game = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    game.bind(("127.0.0.1", 0))
    game.settimeout(20)
    proc = start_cli(
        "game",
        "--game",
        f"127.0.0.1:{game.getsockname()[1]}",
        "--out",
        str(tmp_path),
        "--status",
        "never",
    )
    game.recvfrom(64)  # the first handshake: the loop is running
    summary = stop_cli(proc, sig=signal.SIGINT)
    assert summary["received"] == 0 and summary["files_written"] == 0
    assert hidden_leftovers(tmp_path) == []
    game.close()


@pytest.mark.parametrize("kind", ["rt_car_info", "lap_completed", "quarantine"])
def test_every_dataset_carries_receive_time_source_and_capture_id(kind: str) -> None:
    names = schema_for(kind).names
    assert names[:3] == ["received_at", "source", "capture_id"]


def test_the_first_rows_are_journalled_at_once_not_a_flush_interval_later(tmp_path: Path) -> None:
    """With an hour-long flush interval, the first datagram still reaches the journal: an
    early kill loses nothing already received (beyond one batch window)."""
    port_file = tmp_path / "port"
    out = tmp_path / "out"
    proc = start_cli(
        "server", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--out", str(out),
        "--flush-interval", "3600", "--port-file", str(port_file), "--status", "never",
    )  # fmt: skip
    port = int(wait_for(lambda: port_file.exists() and port_file.read_text(), what="port"))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sent_at = time.monotonic()
        sock.sendto(encode_server_message("client_loaded", {"car_id": 7}), ("127.0.0.1", port))

    def journalled() -> int:
        tables = [read_journal(j) for j in (out / "client_loaded").glob(".*.arrows")]
        return sum(t.num_rows for t in tables if t is not None)

    wait_for(journalled, timeout=30, what="the first datagram in the journal")
    assert time.monotonic() - sent_at < 1.0  # the first flush comes within 1 s
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert recover_journals(out) and read_kind(out, "client_loaded").column(
        "car_id"
    ).to_pylist() == [7]
