"""Bad datagrams are never fatal: counted and kept (raw bytes + reason) in quarantine."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from capture_helpers import read_kind, read_port, start_cli, stop_cli, wait_for
from telemetry_capture.game_protocol import (
    OP_SUBSCRIBE_UPDATE,
    decode_handshaker,
    encode_handshake_response,
    encode_rt_car_info,
)
from telemetry_capture.receiver import MAX_DATAGRAM, Receiver, SizeMeasure, open_udp_socket
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
        bytes(9000): "unknown message id 0",  # kept whole, whatever its size
        b"\x32" + b"\xff" * 65506: "trailing bytes",  # the largest UDP payload
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
        assert row["raw"] == data and row["size"] == len(data)
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
        b"z" * 9000: "oversize: datagram of 9000 bytes, longer than the 1024-byte receive slot",
    }
    for data in bad:
        game.sendto(data, subscriber)
        for _ in range(10):
            game.sendto(good, subscriber)
    summary = stop_cli(proc)  # datagrams already sent sit in the socket buffer: all drained
    game.close()
    assert read_kind(tmp_path, "rt_car_info").num_rows == 10 * len(bad)
    quarantine = read_kind(tmp_path, "quarantine").to_pylist()
    assert [q["raw"] for q in quarantine] == [data[:1024] for data in bad]  # first 1024 bytes
    assert [q["size"] for q in quarantine] == [len(data) for data in bad]  # true sizes
    for row, reason in zip(quarantine, bad.values(), strict=True):
        assert reason in row["reason"] and row["protocol"] == "game"
    assert summary["quarantined"] == len(bad)
    assert summary["received"] == summary["decoded"] + summary["quarantined"]


@pytest.mark.parametrize("measure", ["msg_trunc", "wide"])
def test_the_receiver_records_true_sizes(measure: SizeMeasure) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind(("127.0.0.1", 0))
        receiver = Receiver(
            open_udp_socket(None, connect=sender.getsockname()),
            role="update",
            slots=8,
            slot_size=1024,
            measure=measure,
        )
        sender.connect(receiver.sock.getsockname())
        sent = [b"a" * 328, b"b" * 9000, b"", b"c" * 1024, b"d" * 65507]
        for data in sent:
            sender.send(data)
        wait_for(lambda: (receiver.drain(), receiver.count == len(sent))[1], what="datagrams")
        receiver.sock.close()
    assert receiver.sizes[: len(sent)] == [len(d) for d in sent]
    kept = [receiver.datagram(i) for i in range(len(sent))]
    if measure == "msg_trunc":  # the slot keeps the first bytes of a longer datagram
        assert [receiver.truncated(i) for i in range(len(sent))] == [0, 1, 0, 0, 1]
        assert kept == [d[:1024] for d in sent]
    else:  # wide slots: nothing is ever cut
        assert receiver.slot_size == MAX_DATAGRAM and not any(
            receiver.truncated(i) for i in range(len(sent))
        )
        assert kept == sent
