"""The hot path (ring of datagrams -> numpy batch decode -> Parquet) on the real samples."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from capture_helpers import expected, read_kind, wait_for
from telemetry_capture.decode import CaptureStats, GameDecoder
from telemetry_capture.receiver import Receiver, open_udp_socket
from telemetry_capture.sink import DatasetSink

FILES = [
    ("acgearup_ps4", "handshake_response_408.bin"),
    ("acgearup_ps4", "rtcarinfo_328.bin"),
    ("rfactorlcd_2014", "ac-1.log"),
    ("rfactorlcd_2014", "ac-hand.log"),
    ("rfactorlcd_2014", "ac-2.log"),
    ("acgearup_ps4", "rtlap_212_lap7_49258ms.bin"),
]


def test_real_datagrams_through_the_receiver_and_batch_decoder(
    samples: Path, tmp_path: Path
) -> None:
    game = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    game.bind(("127.0.0.1", 0))
    receiver = Receiver(open_udp_socket(None, connect=game.getsockname()), role="update", slots=16)
    game.connect(receiver.sock.getsockname())
    sink = DatasetSink(tmp_path, capture_id="cap")
    stats = CaptureStats()
    handshakes: list[dict] = []
    decoder = GameDecoder(sink, stats, on_handshake=lambda _r, row: handshakes.append(row))
    for folder, name in FILES:
        game.send((samples / folder / name).read_bytes())
    wait_for(lambda: (receiver.drain(), receiver.count == len(FILES))[1], what="datagrams")
    decoder(receiver)
    sink.close()
    game.close()
    receiver.sock.close()

    assert stats.received == stats.decoded == len(FILES) and stats.quarantined == 0
    assert [h["layout"] for h in handshakes] == ["modern", "legacy"]
    cars = read_kind(tmp_path, "rt_car_info").to_pylist()
    for row, (folder, name) in zip(cars, [FILES[1], FILES[2]], strict=True):
        want = expected(samples / folder)[name]
        assert row["speed_kmh"] == pytest.approx(want["speed_Kmh"], rel=1e-6)
        assert row["lap_time"] == want["lapTime"] and row["gear"] == want["gear"]
        assert row["is_abs_enabled"] is bool(want["isAbsEnabled"])
        assert row["load"] == pytest.approx(want["load"], rel=1e-6)
        assert row["car_coordinates"] == pytest.approx(want["carCoordinates"], rel=1e-6)
        assert row["identifier"] == "a" and row["source"].startswith("127.0.0.1:")
    laps = read_kind(tmp_path, "rt_lap").to_pylist()
    assert [(r["lap"], r["time"], r["layout"]) for r in laps] == [
        (2, 498895, "legacy"),
        (7, 49258, "modern"),
    ]
    hands = read_kind(tmp_path, "handshake_response").to_pylist()
    assert [h["car_name"] for h in hands] == ["ks_toyota_supra_mkiv_drift", "ferrari_f40"]
