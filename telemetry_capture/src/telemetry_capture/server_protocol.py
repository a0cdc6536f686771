"""Assetto Corsa server UDP plugin protocol (acServer <-> plugin): decoders and encoders.

One datagram is one message; byte 0 is the id (reference B). Decoders return
``(kind, row)`` where ``kind`` names the output dataset and ``row`` uses the reference's
field names in snake_case. AssettoServer variants (weather as stringW, END_SESSION as a
1-byte string) and the pre-1.7 7-byte leaderboard entry are accepted.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Final

from telemetry_capture.wire import MessageReader, ProtocolError, pack_string, pack_string_w

__all__ = [
    "ACSP",
    "KIND_BY_ID",
    "NO_TIME",
    "decode_request",
    "decode_server_message",
    "encode_request",
    "encode_server_message",
]

NO_TIME: Final = 999_999_999


class ACSP:
    """Message ids (reference B.3)."""

    NEW_SESSION = 50
    NEW_CONNECTION = 51
    CONNECTION_CLOSED = 52
    CAR_UPDATE = 53
    CAR_INFO = 54
    END_SESSION = 55
    VERSION = 56
    CHAT = 57
    CLIENT_LOADED = 58
    SESSION_INFO = 59
    ERROR = 60
    LAP_COMPLETED = 73
    CLIENT_EVENT = 130
    CE_COLLISION_WITH_CAR = 10
    CE_COLLISION_WITH_ENV = 11
    REALTIMEPOS_INTERVAL = 200
    GET_CAR_INFO = 201
    SEND_CHAT = 202
    BROADCAST_CHAT = 203
    GET_SESSION_INFO = 204
    SET_SESSION_INFO = 205
    KICK_USER = 206
    NEXT_SESSION = 207
    RESTART_SESSION = 208
    ADMIN_COMMAND = 209


KIND_BY_ID: Final[dict[int, str]] = {
    ACSP.NEW_SESSION: "new_session",
    ACSP.NEW_CONNECTION: "new_connection",
    ACSP.CONNECTION_CLOSED: "connection_closed",
    ACSP.CAR_UPDATE: "car_update",
    ACSP.CAR_INFO: "car_info",
    ACSP.END_SESSION: "end_session",
    ACSP.VERSION: "version",
    ACSP.CHAT: "chat",
    ACSP.CLIENT_LOADED: "client_loaded",
    ACSP.SESSION_INFO: "session_info",
    ACSP.ERROR: "error",
    ACSP.LAP_COMPLETED: "lap_completed",
    ACSP.CLIENT_EVENT: "client_event",
}

Row = dict[str, Any]


# ----------------------------------------------------------------------------- decoding
def _session(r: MessageReader) -> Row:
    row: Row = {
        "protocol_version": r.u8("protocol_version"),
        "session_index": r.u8("session_index"),
        "current_session_index": r.u8("current_session_index"),
        "session_count": r.u8("session_count"),
        "server_name": r.string_w("server_name"),
        "track": r.string("track"),
        "track_config": r.string("track_config"),
        "session_name": r.string("session_name"),
        "session_type": r.u8("session_type"),
        "time": r.u16("time"),
        "laps": r.u16("laps"),
        "wait_time": r.u16("wait_time"),
        "ambient_temp": r.u8("ambient_temp"),
        "road_temp": r.u8("road_temp"),
    }
    start = r.pos
    try:  # vanilla: 1-byte weather string then i32 elapsed
        row["weather_graphics"] = r.string("weather_graphics")
        row["elapsed_ms"] = r.i32("elapsed_ms")
        r.expect_end("session")
    except ProtocolError:  # AssettoServer writes the weather as stringW
        r.pos = start
        row["weather_graphics"] = r.string_w("weather_graphics")
        row["elapsed_ms"] = r.i32("elapsed_ms")
    return row


def _connection(r: MessageReader) -> Row:
    return {
        "driver_name": r.string_w("driver_name"),
        "driver_guid": r.string_w("driver_guid"),
        "car_id": r.u8("car_id"),
        "car_model": r.string("car_model"),
        "car_skin": r.string("car_skin"),
    }


def _car_update(r: MessageReader) -> Row:
    return {
        "car_id": r.u8("car_id"),
        "pos": list(r.vec3("pos")),
        "velocity": list(r.vec3("velocity")),
        "gear": r.u8("gear"),
        "engine_rpm": r.u16("engine_rpm"),
        "normalized_spline_pos": r.f32("normalized_spline_pos"),
    }


def _car_info(r: MessageReader) -> Row:
    return {
        "car_id": r.u8("car_id"),
        "is_connected": bool(r.u8("is_connected")),
        "car_model": r.string_w("car_model"),
        "car_skin": r.string_w("car_skin"),
        "driver_name": r.string_w("driver_name"),
        "driver_team": r.string_w("driver_team"),
        "driver_guid": r.string_w("driver_guid"),
    }


def _end_session(r: MessageReader) -> Row:
    start = r.pos
    try:  # vanilla: stringW path
        path = r.string_w("results_json_path")
        r.expect_end("end_session")
    except ProtocolError:  # AssettoServer: 1-byte UTF-8 string
        r.pos = start
        path = r.string("results_json_path")
    return {"results_json_path": path}


def _lap_completed(r: MessageReader) -> Row:
    row: Row = {
        "car_id": r.u8("car_id"),
        "lap_time": r.u32("lap_time"),
        "cuts": r.u8("cuts"),
    }
    count = r.u8("leaderboard count")
    body = r.remaining() - 4
    if body == 8 * count:
        entry = 8
    elif body == 7 * count:  # AC 1.3-1.6: no has_completed byte
        entry = 7
    else:
        raise ProtocolError(
            f"lap_completed: {count} leaderboard entries need {8 * count + 4} more bytes,"
            f" have {body + 4}"
        )
    board = []
    for _ in range(count):
        item = {
            "car_id": r.u8("entry.car_id"),
            "time": r.u32("entry.time"),
            "laps": r.u16("entry.laps"),
            "has_completed": bool(r.u8("entry.has_completed")) if entry == 8 else None,
        }
        board.append(item)
    row["leaderboard"] = board
    row["grip_level"] = r.f32("grip_level")
    if len({e["car_id"] for e in board}) != count:
        raise ProtocolError("lap_completed: leaderboard lists a car twice")
    if entry == 7 and not 0.0 <= row["grip_level"] <= 2.0:  # guard the 7-byte guess
        raise ProtocolError(f"lap_completed: implausible grip_level {row['grip_level']}")
    return row


def _client_event(r: MessageReader) -> Row:
    event_type = r.u8("event_type")
    if event_type not in (ACSP.CE_COLLISION_WITH_CAR, ACSP.CE_COLLISION_WITH_ENV):
        raise ProtocolError(f"client_event: unknown event_type {event_type}")
    car_id = r.u8("car_id")
    other = r.u8("other_car_id") if event_type == ACSP.CE_COLLISION_WITH_CAR else None
    return {
        "event_type": event_type,
        "car_id": car_id,
        "other_car_id": other,
        "impact_speed": r.f32("impact_speed"),
        "world_pos": list(r.vec3("world_pos")),
        "rel_pos": list(r.vec3("rel_pos")),
    }


_DECODERS: Final[dict[int, Callable[[MessageReader], Row]]] = {
    ACSP.NEW_SESSION: _session,
    ACSP.SESSION_INFO: _session,
    ACSP.NEW_CONNECTION: _connection,
    ACSP.CONNECTION_CLOSED: _connection,
    ACSP.CAR_UPDATE: _car_update,
    ACSP.CAR_INFO: _car_info,
    ACSP.END_SESSION: _end_session,
    ACSP.VERSION: lambda r: {"protocol_version": r.u8("protocol_version")},
    ACSP.CHAT: lambda r: {
        "car_id": r.u8("car_id"),
        "message": r.string_w("message"),
        "message_raw": r.invalid.get("message"),  # the original bytes of an invalid message
    },
    ACSP.CLIENT_LOADED: lambda r: {"car_id": r.u8("car_id")},
    ACSP.ERROR: lambda r: {"message": r.string_w("message")},
    ACSP.LAP_COMPLETED: _lap_completed,
    ACSP.CLIENT_EVENT: _client_event,
}


def decode_server_message(data: bytes) -> tuple[str, Row]:
    """Decode one server -> plugin datagram into ``(kind, row)``; ProtocolError if invalid."""
    if not data:
        raise ProtocolError("empty datagram")
    decoder = _DECODERS.get(data[0])
    if decoder is None:
        raise ProtocolError(f"unknown message id {data[0]}")
    kind = KIND_BY_ID[data[0]]
    reader = MessageReader(data, pos=1)
    row = decoder(reader)
    reader.expect_end(kind)
    return kind, row


# ----------------------------------------------------------------------------- encoding
def _u8(v: int) -> bytes:
    return struct.pack("<B", v)


def _session_body(m: Row) -> bytes:
    weather = m.get("weather_graphics", "")
    return (
        struct.pack(
            "<4B",
            m["protocol_version"],
            m["session_index"],
            m["current_session_index"],
            m["session_count"],
        )
        + pack_string_w(m["server_name"])
        + pack_string(m["track"])
        + pack_string(m["track_config"])
        + pack_string(m["session_name"])
        + struct.pack(
            "<B3H2B",
            m["session_type"],
            m["time"],
            m["laps"],
            m["wait_time"],
            m["ambient_temp"],
            m["road_temp"],
        )
        + (pack_string_w(weather) if m.get("wide_weather") else pack_string(weather))
        + struct.pack("<i", m["elapsed_ms"])
    )


def _connection_body(m: Row) -> bytes:
    return (
        pack_string_w(m["driver_name"])
        + pack_string_w(m["driver_guid"])
        + _u8(m["car_id"])
        + pack_string(m["car_model"])
        + pack_string(m["car_skin"])
    )


def _lap_body(m: Row) -> bytes:
    board: Sequence[Row] = m["leaderboard"]
    out = struct.pack("<BIBB", m["car_id"], m["lap_time"], m["cuts"], len(board))
    for e in board:
        out += struct.pack(
            "<BIHB", e["car_id"], e["time"], e["laps"], int(bool(e["has_completed"]))
        )
    return out + struct.pack("<f", m["grip_level"])


def _event_body(m: Row) -> bytes:
    head = struct.pack("<BB", m["event_type"], m["car_id"])
    if m["event_type"] == ACSP.CE_COLLISION_WITH_CAR:
        head += _u8(m["other_car_id"])
    return head + struct.pack("<7f", m["impact_speed"], *m["world_pos"], *m["rel_pos"])


_ENCODERS: Final[dict[str, tuple[int, Callable[[Row], bytes]]]] = {
    "new_session": (ACSP.NEW_SESSION, _session_body),
    "session_info": (ACSP.SESSION_INFO, _session_body),
    "new_connection": (ACSP.NEW_CONNECTION, _connection_body),
    "connection_closed": (ACSP.CONNECTION_CLOSED, _connection_body),
    "car_update": (
        ACSP.CAR_UPDATE,
        lambda m: struct.pack(
            "<B6fBHf",
            m["car_id"],
            *m["pos"],
            *m["velocity"],
            m["gear"],
            m["engine_rpm"],
            m["normalized_spline_pos"],
        ),
    ),
    "car_info": (
        ACSP.CAR_INFO,
        lambda m: (
            struct.pack("<BB", m["car_id"], int(m["is_connected"]))
            + b"".join(
                pack_string_w(m[k])
                for k in ("car_model", "car_skin", "driver_name", "driver_team", "driver_guid")
            )
        ),
    ),
    "end_session": (
        ACSP.END_SESSION,
        lambda m: (
            pack_string(m["results_json_path"])
            if m.get("narrow")
            else pack_string_w(m["results_json_path"])
        ),
    ),
    "version": (ACSP.VERSION, lambda m: _u8(m["protocol_version"])),
    "chat": (
        ACSP.CHAT,
        lambda m: (
            _u8(m["car_id"])
            + (
                _u8(len(m["message_raw"]) // 4) + m["message_raw"]  # any code units, for tests
                if m.get("message_raw") is not None
                else pack_string_w(m["message"])
            )
        ),
    ),
    "client_loaded": (ACSP.CLIENT_LOADED, lambda m: _u8(m["car_id"])),
    "error": (ACSP.ERROR, lambda m: pack_string_w(m["message"])),
    "lap_completed": (ACSP.LAP_COMPLETED, _lap_body),
    "client_event": (ACSP.CLIENT_EVENT, _event_body),
}


def encode_server_message(kind: str, message: Row) -> bytes:
    """Encode a server -> plugin message (used by the fake acServer and the tests)."""
    msg_id, body = _ENCODERS[kind]
    return _u8(msg_id) + body(message)


# ----------------------------------------------------------------------------- requests
REQUEST_NAMES: Final[dict[int, str]] = {
    ACSP.REALTIMEPOS_INTERVAL: "realtimepos_interval",
    ACSP.GET_CAR_INFO: "get_car_info",
    ACSP.SEND_CHAT: "send_chat",
    ACSP.BROADCAST_CHAT: "broadcast_chat",
    ACSP.GET_SESSION_INFO: "get_session_info",
    ACSP.SET_SESSION_INFO: "set_session_info",
    ACSP.KICK_USER: "kick_user",
    ACSP.NEXT_SESSION: "next_session",
    ACSP.RESTART_SESSION: "restart_session",
    ACSP.ADMIN_COMMAND: "admin_command",
}
_REQUEST_IDS: Final = {v: k for k, v in REQUEST_NAMES.items()}


def encode_request(name: str, /, **args: Any) -> bytes:
    """Encode a plugin -> server request (reference B.5).

    Example: ``encode_request("kick_user", car_id=3)``.
    """
    msg_id = _REQUEST_IDS[name]
    head = _u8(msg_id)
    match name:
        case "realtimepos_interval":
            return head + struct.pack("<H", args["interval_ms"])
        case "get_car_info" | "kick_user":
            return head + _u8(args["car_id"])
        case "send_chat":
            return head + _u8(args["car_id"]) + pack_string_w(args["message"])
        case "broadcast_chat":
            return head + pack_string_w(args["message"])
        case "get_session_info":
            return head + struct.pack("<h", args.get("session_index", -1))
        case "set_session_info":
            return (
                head
                + _u8(args["session_index"])
                + pack_string_w(args["name"])
                + struct.pack(
                    "<B3I", args["type"], args["laps"], args["time_s"], args["wait_time_s"]
                )
            )
        case "admin_command":
            return head + pack_string_w(args["command"])
        case _:  # next_session, restart_session
            return head


def decode_request(data: bytes) -> tuple[str, Row]:
    """Decode a plugin -> server request (the fake acServer uses this)."""
    if not data or data[0] not in REQUEST_NAMES:
        raise ProtocolError(f"unknown request id {data[0] if data else None}")
    name = REQUEST_NAMES[data[0]]
    r = MessageReader(data, pos=1)
    args: Row = {}
    match name:
        case "realtimepos_interval":
            args["interval_ms"] = r.u16("interval_ms")
        case "get_car_info" | "kick_user":
            args["car_id"] = r.u8("car_id")
        case "send_chat":
            args["car_id"] = r.u8("car_id")
            args["message"] = r.string_w("message")
        case "broadcast_chat":
            args["message"] = r.string_w("message")
        case "get_session_info":
            # KS/AS send an i16 index; SM sends only the id byte (= current session).
            args["session_index"] = r.i16("session_index") if r.remaining() else -1
        case "set_session_info":
            args["session_index"] = r.u8("session_index")
            args["name"] = r.string_w("name")
            args["type"] = r.u8("type")
            args["laps"] = r.u32("laps")
            args["time_s"] = r.u32("time_s")
            args["wait_time_s"] = r.u32("wait_time_s")
        case "admin_command":
            args["command"] = r.string_w("command")
    r.expect_end(name)
    return name, args
