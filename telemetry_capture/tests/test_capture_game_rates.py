"""Game mode at any update rate: every row is exactly the datagram the game sent.

At low rates each receive batch holds one datagram; its rows must not alias the receive
ring (the next datagram lands in the same slot while the batch waits for the writer).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from capture_helpers import read_kind, start_cli, stop_cli, wait_for
from telemetry_capture.decode import CaptureStats, GameDecoder
from telemetry_capture.fake_game import FakeGame, GameSetup
from telemetry_capture.game_protocol import CAR_INFO_SIZE, decode_rt_car_info
from telemetry_capture.receiver import Receiver, open_udp_socket
from telemetry_capture.sink import DatasetSink


def _assert_rows_are(rows: list[dict], datagrams: list[bytes]) -> None:
    assert len(rows) == len(datagrams)
    for i, (row, data) in enumerate(zip(rows, datagrams, strict=True)):
        for name, value in decode_rt_car_info(data).items():
            assert row[name] == value, f"row {i}, field {name}"


def test_a_batch_of_one_datagram_owns_its_values(tmp_path: Path) -> None:
    game = FakeGame(bind=("127.0.0.1", 0))
    receiver = Receiver(open_udp_socket(None, connect=game.address), role="update", slots=8)
    game.sock.connect(receiver.sock.getsockname())
    sink = DatasetSink(tmp_path, capture_id="cap")
    decoder = GameDecoder(sink, CaptureStats())
    sent = [game.car_info(t) for t in (1.0, 5.0, 9.0)]
    for data in sent:  # one datagram per batch: each lands in slot 0 of the ring
        game.sock.send(data)
        wait_for(lambda: (receiver.drain(), receiver.count == 1)[1], what="datagram")
        decoder(receiver)
    sink.close()
    receiver.sock.close()
    game.sock.close()
    _assert_rows_are(read_kind(tmp_path, "rt_car_info").to_pylist(), sent)


@pytest.mark.parametrize(("rate_hz", "rows"), [(1, 4), (10, 25), (20, 40), (333, 600)])
def test_every_field_of_every_row_equals_what_the_game_sent(
    tmp_path: Path, rate_hz: float, rows: int
) -> None:
    # time_scale: the car covers 20 simulated seconds per second, so consecutive datagrams
    # differ in every field even at 1 Hz
    game = FakeGame(
        bind=("127.0.0.1", 0), setup=GameSetup(rate_hz=rate_hz, time_scale=20.0, keep_sent=True)
    )
    thread = threading.Thread(target=game.run, daemon=True)
    thread.start()
    out = tmp_path / "game"
    proc = start_cli(
        "game", "--game", f"127.0.0.1:{game.address[1]}", "--out", str(out), "--keep-raw",
        "--retry-interval", "0.2", "--status", "never",
    )  # fmt: skip
    wait_for(lambda: game.counters.updates_sent >= rows, timeout=60, what=f"{rows} updates")
    game.stop()
    thread.join()
    summary = stop_cli(proc)

    raw = read_kind(out, "raw")
    kept = [d for d in raw.column("raw").to_pylist() if len(d) == CAR_INFO_SIZE]
    assert kept == game.counters.sent_updates  # the raw datagrams are what the game sent
    cars = read_kind(out, "rt_car_info")
    assert cars.num_rows == summary["rows"]["rt_car_info"] == game.counters.updates_sent
    _assert_rows_are(cars.to_pylist(), kept)
    stamps = [
        ts
        for ts, d in zip(
            raw.column("received_at").to_pylist(), raw.column("raw").to_pylist(), strict=True
        )
        if len(d) == CAR_INFO_SIZE
    ]
    assert cars.column("received_at").to_pylist() == stamps
