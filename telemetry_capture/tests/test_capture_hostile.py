"""What real captures throw at the daemon: every message cut short, empty, duplicated or
out of order, over real UDP. Every datagram ends in exactly one place: a row of its kind or
a quarantine row holding its exact bytes and true size."""

from __future__ import annotations

import socket
import struct
from collections import Counter
from pathlib import Path

from capture_helpers import MESSAGES, read_kind, read_port, start_cli, stop_cli
from telemetry_capture.game_protocol import (
    CAR_INFO_SIZE,
    HANDSHAKE_RESPONSE_SIZES,
    OP_SUBSCRIBE_UPDATE,
    RT_LAP_SIZES,
    decode_handshaker,
    encode_handshake_response,
    encode_rt_car_info,
    encode_rt_lap,
)
from telemetry_capture.server_protocol import decode_server_message, encode_server_message
from telemetry_capture.wire import ProtocolError, encode_fixed_string

# Prefixes the decoder accepts on purpose: AssettoServer variants (a 1-byte END_SESSION path,
# a stringW weather) and the AC 1.3-1.6 7-byte leaderboard entry can be a vanilla message cut.
VARIANT_KINDS = {"end_session", "new_session", "session_info", "lap_completed"}


def _verdict(data: bytes) -> str:
    try:
        return decode_server_message(data)[0]
    except ProtocolError:
        return "quarantine"


def _server_daemon(tmp_path: Path, *extra: str) -> tuple:
    port_file = tmp_path / "port"
    proc = start_cli(
        "server", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--interval-ms", "0",
        "--out", str(tmp_path / "out"), "--port-file", str(port_file), "--status", "never", *extra,
    )  # fmt: skip
    return proc, ("127.0.0.1", read_port(port_file))


def test_every_server_message_cut_at_every_length_and_an_empty_one(tmp_path: Path) -> None:
    datagrams = [b""]
    for kind in sorted(MESSAGES):
        whole = encode_server_message(kind, MESSAGES[kind])
        datagrams += [whole[:n] for n in range(1, len(whole))]
    want = [_verdict(d) for d in datagrams]
    accepted = {v for v in want if v != "quarantine"}
    assert accepted <= VARIANT_KINDS, accepted
    proc, plugin = _server_daemon(tmp_path)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in datagrams:
            sock.sendto(data, plugin)
    summary = stop_cli(proc)  # datagrams already sent sit in the socket buffer: all drained

    out = tmp_path / "out"
    assert summary["received"] == len(datagrams) == summary["decoded"] + summary["quarantined"]
    quarantine = read_kind(out, "quarantine").to_pylist()
    rejected = [d for d, v in zip(datagrams, want, strict=True) if v == "quarantine"]
    assert [q["raw"] for q in quarantine] == rejected  # exact bytes, in arrival order
    assert [q["size"] for q in quarantine] == [len(d) for d in rejected]
    assert quarantine[0]["reason"] == "empty datagram"
    assert all(q["reason"] for q in quarantine)
    for kind, count in Counter(v for v in want if v != "quarantine").items():
        assert read_kind(out, kind).num_rows == count, kind


def _legacy_messages() -> list[bytes]:
    """The 2014 early-access layouts (reference A.3, A.5): 260-byte handshake response and
    164-byte RTLap, with 1-byte car and track names."""
    hand = (
        encode_fixed_string("ferrari_f40", size=50, wide=False)
        + encode_fixed_string("Driver", size=100, wide=True)
        + bytes(2)
        + struct.pack("<2i", 4242, 1)
        + encode_fixed_string("magione", size=50, wide=False)
        + encode_fixed_string("magione", size=50, wide=False)
    )
    lap = (
        struct.pack("<2i", 0, 2)
        + encode_fixed_string("Driver", size=100, wide=True)
        + encode_fixed_string("ferrari_f40", size=50, wide=False)
        + bytes(2)
        + struct.pack("<i", 498_895)
    )
    assert (len(hand), len(lap)) == (260, 164)
    return [hand, lap]


def test_game_messages_cut_at_every_length_and_an_empty_one(tmp_path: Path) -> None:
    game = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    game.bind(("127.0.0.1", 0))
    game.settimeout(30)
    proc = start_cli(
        "game", "--game", f"127.0.0.1:{game.getsockname()[1]}", "--out", str(tmp_path),
        "--status", "never",
    )  # fmt: skip
    response = encode_handshake_response(
        car_name="ks_mazda_mx5_cup", driver_name="d", track_name="t", track_config="t"
    )
    subscriber = None
    answers = 0
    while subscriber is None:
        data, addr = game.recvfrom(64)
        op = decode_handshaker(data)["operation_id"]
        if op == 0:
            game.sendto(response, addr)
            answers += 1
        elif op == OP_SUBSCRIBE_UPDATE:
            subscriber = addr
    messages = [
        response,
        encode_rt_car_info({"speed_kmh": 88.0, "gear": 3, "car_coordinates": [1.0, 2.0, 3.0]}),
        encode_rt_lap(car_identifier_number=0, lap=3, driver_name="d", car_name="c", time=61_000),
        *_legacy_messages(),
    ]
    datagrams = [b""] + [whole[:n] for whole in messages for n in range(1, len(whole))]
    for data in datagrams:
        game.sendto(data, subscriber)
    summary = stop_cli(proc)
    game.close()

    # Remote Telemetry messages are told apart by length (reference A.6): a cut message of
    # another message's length is read as that message; every other one is quarantined
    def verdict(data: bytes) -> str:
        if len(data) in HANDSHAKE_RESPONSE_SIZES:
            return "handshake_response"
        if len(data) in RT_LAP_SIZES:
            return "rt_lap"
        return "quarantine"  # no prefix is a whole 328-byte RTCarInfo starting with 'a'

    want = [verdict(d) for d in datagrams]
    assert summary["received"] == len(datagrams) + answers  # + the handshake answers
    assert summary["received"] == summary["decoded"] + summary["quarantined"]
    quarantine = read_kind(tmp_path, "quarantine").to_pylist()
    rejected = [d for d, v in zip(datagrams, want, strict=True) if v == "quarantine"]
    assert [q["raw"] for q in quarantine] == rejected
    assert [q["size"] for q in quarantine] == [len(d) for d in rejected]
    assert not any(len(d) == CAR_INFO_SIZE for d in rejected) or all(
        "identifier" in q["reason"] for q in quarantine if q["size"] == CAR_INFO_SIZE
    )
    assert read_kind(tmp_path, "rt_lap").num_rows == want.count("rt_lap")
    assert read_kind(tmp_path, "handshake_response").num_rows == answers + want.count(
        "handshake_response"
    )
    assert "rt_car_info" not in summary["rows"]


def test_duplicated_and_reordered_datagrams_are_all_recorded_as_received(tmp_path: Path) -> None:
    """The daemon keeps what arrived, in arrival order: deduplication and reordering are
    CLEAN's job, which needs the whole capture (see tests/assetto/test_assetto_hostile.py)."""
    proc, plugin = _server_daemon(tmp_path, "--keep-raw")
    loaded = [encode_server_message("client_loaded", {"car_id": car}) for car in range(6)]
    sent = [loaded[0], loaded[0], loaded[2], loaded[1], loaded[5], loaded[4], loaded[3], loaded[3]]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in sent:
            sock.sendto(data, plugin)
    stop_cli(proc)
    out = tmp_path / "out"
    assert read_kind(out, "raw").column("raw").to_pylist() == sent
    assert read_kind(out, "client_loaded").column("car_id").to_pylist() == [0, 0, 2, 1, 5, 4, 3, 3]


def test_a_chat_with_invalid_code_points_is_kept_with_its_bytes(tmp_path: Path) -> None:
    proc, plugin = _server_daemon(tmp_path)
    raw = b"".join(u.to_bytes(4, "little") for u in (0x68, 0xD83D, 0xDE00, 0xDFFF, 0x110000))
    chats = [
        encode_server_message("chat", {"car_id": 1, "message": "", "message_raw": raw}),
        encode_server_message("chat", {"car_id": 2, "message": "fine ✓"}),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in chats:
            sock.sendto(data, plugin)
    stop_cli(proc)
    rows = read_kind(tmp_path / "out", "chat").select(["message", "message_raw"]).to_pylist()
    assert rows == [
        {"message": "h😀\ufffd\ufffd", "message_raw": raw},
        {"message": "fine ✓", "message_raw": None},
    ]
