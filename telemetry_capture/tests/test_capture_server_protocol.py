"""Server plugin protocol: every message round-trips; variants and bad input are handled."""

from __future__ import annotations

import struct

import pytest
from capture_helpers import BOARD, MESSAGES, SESSION
from telemetry_capture.server_protocol import (
    ACSP,
    KIND_BY_ID,
    decode_request,
    decode_server_message,
    encode_request,
    encode_server_message,
)
from telemetry_capture.wire import ProtocolError, pack_string, pack_string_w


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_server_message_round_trips(kind: str) -> None:
    data = encode_server_message(kind, MESSAGES[kind])
    assert KIND_BY_ID[data[0]] == kind
    decoded_kind, row = decode_server_message(data)
    assert decoded_kind == kind
    assert row == MESSAGES[kind]


def _utf32(*units: int) -> bytes:
    return b"".join(u.to_bytes(4, "little") for u in units)


@pytest.mark.parametrize(
    ("units", "text"),
    [
        # a surrogate pair written as two code units (a server counting UTF-16 units): joined
        ((ord("g"), 0xD83C, 0xDFC1, ord("!")), "g🏁!"),
        # a lone surrogate and a value above U+10FFFF: each one U+FFFD
        ((ord("a"), 0xD800, ord("b"), 0x110000, ord("c")), "a\ufffdb\ufffdc"),
    ],
)
def test_a_chat_with_invalid_code_points_keeps_its_bytes_and_a_repaired_text(
    units: tuple[int, ...], text: str
) -> None:
    raw = _utf32(*units)
    data = encode_server_message("chat", {"car_id": 4, "message": "", "message_raw": raw})
    kind, row = decode_server_message(data)
    assert (kind, row) == ("chat", {"car_id": 4, "message": text, "message_raw": raw})


def test_every_message_id_of_the_reference_has_a_decoder() -> None:
    assert set(KIND_BY_ID) == {*range(50, 61), 73, 130}


def test_fixed_sizes_match_the_reference() -> None:
    assert len(encode_server_message("car_update", MESSAGES["car_update"])) == 33
    assert len(encode_server_message("client_loaded", {"car_id": 1})) == 2
    env = {**MESSAGES["client_event"], "event_type": 11, "other_car_id": None}
    assert len(encode_server_message("client_event", env)) == 31
    assert len(encode_server_message("client_event", MESSAGES["client_event"])) == 32
    lap = encode_server_message("lap_completed", MESSAGES["lap_completed"])
    assert len(lap) == 12 + 8 * len(BOARD)


def test_environment_collision_has_no_other_car() -> None:
    env = {**MESSAGES["client_event"], "event_type": 11, "other_car_id": None}
    _, row = decode_server_message(encode_server_message("client_event", env))
    assert (
        row["other_car_id"] is None
        and row["impact_speed"] == 42.5
        and row["world_pos"] == [1.0, 2.0, 3.0]
    )


def test_a_session_with_a_49_char_server_name_is_255_to_258_bytes() -> None:
    msg = {**SESSION, "server_name": "x" * 49}
    assert 255 <= len(encode_server_message("new_session", msg)) <= 258


def test_assettoserver_wide_weather_and_narrow_end_session() -> None:
    kind, row = decode_server_message(
        encode_server_message("new_session", {**SESSION, "wide_weather": True})
    )
    assert (
        kind == "new_session"
        and row["weather_graphics"] == "3_clear"
        and row["elapsed_ms"] == -60000
    )
    _, row = decode_server_message(
        encode_server_message("end_session", {"results_json_path": "", "narrow": True})
    )
    assert row == {"results_json_path": ""}
    _, row = decode_server_message(
        encode_server_message("end_session", {"results_json_path": "r.json", "narrow": True})
    )
    assert row == {"results_json_path": "r.json"}


def test_pre_1_7_seven_byte_leaderboard_entries_are_accepted() -> None:
    data = struct.pack("<BBIBB", 73, 1, 60000, 0, 2)
    data += (
        struct.pack("<BIH", 1, 60000, 1)
        + struct.pack("<BIH", 0, 999999999, 0)
        + struct.pack("<f", 1.0)
    )
    _, row = decode_server_message(data)
    assert row["leaderboard"][0] == {"car_id": 1, "time": 60000, "laps": 1, "has_completed": None}


def test_utf32_strings_and_non_ascii_names() -> None:
    assert pack_string_w("é🏁") == bytes([2]) + "é🏁".encode("utf-32-le")
    assert pack_string("abc") == b"\x03abc"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (bytes([99]), "unknown message id 99"),
        (bytes([53, 1, 2, 3]), "truncated pos"),
        (encode_server_message("car_update", MESSAGES["car_update"]) + b"\x00", "trailing"),
        (bytes([51, 10]) + "ab".encode("utf-32-le"), "truncated driver_name"),
        (bytes([130, 12, 1]) + bytes(28), "unknown event_type 12"),
        (encode_server_message("lap_completed", MESSAGES["lap_completed"])[:-1], "leaderboard"),
        (encode_server_message("lap_completed", MESSAGES["lap_completed"])[:-3], "car twice|grip"),
    ],
)
def test_bad_datagrams_raise_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode_server_message(data)


REQUESTS = {
    "realtimepos_interval": {"interval_ms": 250},
    "get_car_info": {"car_id": 4},
    "send_chat": {"car_id": 2, "message": "box box"},
    "broadcast_chat": {"message": "Race starts in 1 minute"},
    "get_session_info": {"session_index": -1},
    "set_session_info": {
        "session_index": 1,
        "name": "Q",
        "type": 2,
        "laps": 0,
        "time_s": 600,
        "wait_time_s": 60,
    },
    "kick_user": {"car_id": 9},
    "next_session": {},
    "restart_session": {},
    "admin_command": {"command": "/ballast 1 50"},
}


@pytest.mark.parametrize("name", sorted(REQUESTS))
def test_requests_round_trip(name: str) -> None:
    data = encode_request(name, **REQUESTS[name])
    assert decode_request(data) == (name, REQUESTS[name])


def test_request_sizes_and_ids_match_the_reference() -> None:
    assert encode_request("realtimepos_interval", interval_ms=1000) == bytes([200]) + struct.pack(
        "<H", 1000
    )
    assert encode_request("get_session_info", session_index=-1) == bytes([204, 0xFF, 0xFF])
    assert encode_request("next_session") == bytes([ACSP.NEXT_SESSION])
    assert decode_request(bytes([204])) == (
        "get_session_info",
        {"session_index": -1},
    )  # SM's short form
