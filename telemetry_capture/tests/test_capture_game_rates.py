"""Game mode at any update rate: every row is exactly the datagram the game sent.

At low rates each receive batch holds one datagram; its rows must not alias the receive
ring (the next datagram lands in the same slot while the batch waits for the writer).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from capture_helpers import read_kind, start_cli, stop_cli, wait_for
from telemetry_capture.decode import CaptureStats, GameDecoder
from telemetry_capture.fake_game import FakeGame
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


def _stream(game: FakeGame, *, rate_hz: float, count: int, time_scale: float) -> list[bytes]:
    """Answer the daemon's handshake with the fake game, then send ``count`` of its RTCarInfo
    to the subscriber at ``rate_hz`` wall-clock datagrams per second; the car moves
    ``time_scale`` simulated seconds per second, so consecutive datagrams differ in every
    field even at 1 Hz. Returns the datagrams sent."""
    wait_for(lambda: (game._serve_requests(), game.update_subscribers)[1], what="subscription")
    sent = []
    start = time.monotonic()
    for i in range(count):
        while (delay := start + i / rate_hz - time.monotonic()) > 0:
            game._serve_requests()
            time.sleep(min(delay, 0.05))
        packet = game.car_info(i / rate_hz * time_scale)
        for addr in game.update_subscribers:
            game.sock.sendto(packet, addr)
        sent.append(packet)
    return sent


@pytest.mark.parametrize(("rate_hz", "count"), [(1, 4), (10, 25), (20, 40), (333, 600)])
def test_every_field_of_every_row_equals_what_the_game_sent(
    tmp_path: Path, rate_hz: float, count: int
) -> None:
    game = FakeGame(bind=("127.0.0.1", 0))
    out = tmp_path / "game"
    proc = start_cli(
        "game", "--game", f"127.0.0.1:{game.address[1]}", "--out", str(out), "--keep-raw",
        "--retry-interval", "0.2", "--status", "never",
    )  # fmt: skip
    sent = _stream(game, rate_hz=rate_hz, count=count, time_scale=20.0)
    summary = stop_cli(proc)  # datagrams already sent sit in the socket buffer: all drained
    game.sock.close()

    raw = read_kind(out, "raw")
    kept = [d for d in raw.column("raw").to_pylist() if len(d) == CAR_INFO_SIZE]
    assert kept == sent  # the raw datagrams are what the game sent
    cars = read_kind(out, "rt_car_info")
    assert cars.num_rows == summary["rows"]["rt_car_info"] == count
    _assert_rows_are(cars.to_pylist(), kept)
    stamps = [
        ts
        for ts, d in zip(
            raw.column("received_at").to_pylist(), raw.column("raw").to_pylist(), strict=True
        )
        if len(d) == CAR_INFO_SIZE
    ]
    assert cars.column("received_at").to_pylist() == stamps
