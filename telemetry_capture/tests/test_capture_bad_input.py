"""Bad datagrams are never fatal: counted and kept (raw bytes + reason) in quarantine."""

from __future__ import annotations

import socket
from pathlib import Path

from capture_helpers import read_kind, read_port, start_cli, stop_cli
from telemetry_capture.game_protocol import (
    OP_SUBSCRIBE_UPDATE,
    decode_handshaker,
    encode_handshake_response,
    encode_rt_car_info,
)
from telemetry_capture.server_protocol import encode_server_message


def test_server_mode_quarantines_garbage_and_keeps_going(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    proc = start_cli(
        "server", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--out", str(tmp_path),
        "--port-file", str(port_file), "--status", "never",
    )  # fmt: skip
    plugin = ("127.0.0.1", read_port(port_file))
    good = encode_server_message("client_loaded", {"car_id": 3})
    bad = {
        bytes([99, 1, 2]): "unknown message id 99",
        bytes([53, 1, 2, 3]): "truncated",
        good + b"\x00": "trailing",
        bytes([51, 200]) + b"x" * 10: "truncated driver_name",
        b"": "empty",
        bytes(9000): "truncated to the receive slot",
    }
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in bad:
            sock.sendto(data, plugin)
            sock.sendto(good, plugin)
    summary = stop_cli(proc)  # datagrams already sent sit in the socket buffer: all drained
    quarantine = read_kind(tmp_path, "quarantine").to_pylist()
    assert summary["received"] == 2 * len(bad) == summary["decoded"] + summary["quarantined"]
    assert read_kind(tmp_path, "client_loaded").num_rows == len(bad)
    assert len(quarantine) == len(bad)
    for row, (data, reason) in zip(quarantine, bad.items(), strict=True):
        assert reason in row["reason"]
        assert row["protocol"] == "server"
        assert row["raw"] == data[: len(row["raw"])] and row["size"] == len(row["raw"])
        assert row["source"].startswith("127.0.0.1:")


def test_game_mode_quarantines_wrong_lengths_and_bad_identifiers(tmp_path: Path) -> None:
    game = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    game.bind(("127.0.0.1", 0))
    game.settimeout(10)
    proc = start_cli(
        "game",
        "--game",
        f"127.0.0.1:{game.getsockname()[1]}",
        "--out",
        str(tmp_path),
        "--status",
        "never",
    )
    response = encode_handshake_response(
        car_name="c", driver_name="d", track_name="t", track_config="t"
    )
    subscriber = None
    while subscriber is None:
        data, addr = game.recvfrom(64)
        op = decode_handshaker(data)["operation_id"]
        if op == 0:
            game.sendto(response, addr)
        elif op == OP_SUBSCRIBE_UPDATE:
            subscriber = addr
    good = encode_rt_car_info({"speed_kmh": 100.0, "gear": 4})
    bad = {
        b"x" * 100: "no Remote Telemetry message is 100 bytes",
        b"b" + good[1:]: "identifier",
        good[:4] + (999).to_bytes(4, "little") + good[8:]: "size field is 999",
        b"": "no Remote Telemetry message is 0 bytes",
    }
    for data in bad:
        game.sendto(data, subscriber)
        for _ in range(10):
            game.sendto(good, subscriber)
    summary = stop_cli(proc)  # datagrams already sent sit in the socket buffer: all drained
    game.close()
    assert read_kind(tmp_path, "rt_car_info").num_rows == 40
    quarantine = read_kind(tmp_path, "quarantine").to_pylist()
    assert [q["raw"] for q in quarantine] == list(bad)
    for row, reason in zip(quarantine, bad.values(), strict=True):
        assert reason in row["reason"] and row["protocol"] == "game"
    assert summary["quarantined"] == 4
    assert summary["received"] == summary["decoded"] + summary["quarantined"]
