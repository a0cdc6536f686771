"""Arrow schemas of the output datasets, one per message kind.

Every row starts with ``received_at`` (receive time, UTC), ``source`` (``ip:port`` the
datagram came from) and ``capture_id``; the rest are the reference's field names in
snake_case.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

from telemetry_capture.game_protocol import BOOL_FIELDS, RT_CAR_INFO_FIELDS

__all__ = ["COMMON_FIELDS", "GAME_KINDS", "SCHEMAS", "SERVER_KINDS", "schema_for"]

COMMON_FIELDS: Final = [
    pa.field("received_at", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("capture_id", pa.string(), nullable=False),
]
F32, I32, U8, U16, U32, STR = (
    pa.float32(),
    pa.int32(),
    pa.uint8(),
    pa.uint16(),
    pa.uint32(),
    pa.string(),
)
VEC3: Final = pa.list_(F32, 3)


def _rt_car_info_fields() -> list[pa.Field]:
    out = []
    for name, fmt, _ in RT_CAR_INFO_FIELDS:
        if name == "identifier":
            out.append(pa.field(name, STR))
        elif name in BOOL_FIELDS:
            out.append(pa.field(name, pa.bool_()))
        elif isinstance(fmt, tuple):
            out.append(pa.field(name, pa.list_(F32, fmt[1][0])))
        else:
            out.append(pa.field(name, I32 if fmt == "<i4" else F32))
    return out


_SESSION = [
    ("protocol_version", U8),
    ("session_index", U8),
    ("current_session_index", U8),
    ("session_count", U8),
    ("server_name", STR),
    ("track", STR),
    ("track_config", STR),
    ("session_name", STR),
    ("session_type", U8),
    ("time", U16),
    ("laps", U16),
    ("wait_time", U16),
    ("ambient_temp", U8),
    ("road_temp", U8),
    ("weather_graphics", STR),
    ("elapsed_ms", I32),
]
_CONNECTION = [
    ("driver_name", STR),
    ("driver_guid", STR),
    ("car_id", U8),
    ("car_model", STR),
    ("car_skin", STR),
]
LEADERBOARD_ENTRY: Final = pa.struct(
    [("car_id", U8), ("time", U32), ("laps", U16), ("has_completed", pa.bool_())]
)

_BODIES: Final[dict[str, list]] = {
    # game (Remote Telemetry)
    "handshake_response": [
        ("car_name", STR),
        ("driver_name", STR),
        ("identifier", I32),
        ("version", I32),
        ("track_name", STR),
        ("track_config", STR),
        ("layout", STR),
    ],
    "rt_car_info": _rt_car_info_fields(),
    "rt_lap": [
        ("car_identifier_number", I32),
        ("lap", I32),
        ("driver_name", STR),
        ("car_name", STR),
        ("time", I32),
        ("layout", STR),
    ],
    # server (UDP plugin)
    "new_session": _SESSION,
    "session_info": _SESSION,
    "new_connection": _CONNECTION,
    "connection_closed": _CONNECTION,
    "car_update": [
        ("car_id", U8),
        ("pos", VEC3),
        ("velocity", VEC3),
        ("gear", U8),
        ("engine_rpm", U16),
        ("normalized_spline_pos", F32),
    ],
    "car_info": [
        ("car_id", U8),
        ("is_connected", pa.bool_()),
        ("car_model", STR),
        ("car_skin", STR),
        ("driver_name", STR),
        ("driver_team", STR),
        ("driver_guid", STR),
    ],
    "end_session": [("results_json_path", STR)],
    "version": [("protocol_version", U8)],
    # message_raw: the UTF-32LE bytes of a message that was not valid text (else null)
    "chat": [("car_id", U8), ("message", STR), ("message_raw", pa.binary())],
    "client_loaded": [("car_id", U8)],
    "error": [("message", STR)],
    "lap_completed": [
        ("car_id", U8),
        ("lap_time", U32),
        ("cuts", U8),
        ("leaderboard", pa.list_(LEADERBOARD_ENTRY)),
        ("grip_level", F32),
    ],
    "client_event": [
        ("event_type", U8),
        ("car_id", U8),
        ("other_car_id", U8),
        ("impact_speed", F32),
        ("world_pos", VEC3),
        ("rel_pos", VEC3),
    ],
    # both: datagrams that could not be decoded
    "quarantine": [("protocol", STR), ("reason", STR), ("size", I32), ("raw", pa.binary())],
    # both, optional (--keep-raw): every datagram as received, for replay
    "raw": [("protocol", STR), ("raw", pa.binary())],
}

GAME_KINDS: Final = ("handshake_response", "rt_car_info", "rt_lap")
SERVER_KINDS: Final = tuple(k for k in _BODIES if k not in (*GAME_KINDS, "quarantine", "raw"))


def _schema(kind: str) -> pa.Schema:
    fields = [f if isinstance(f, pa.Field) else pa.field(*f) for f in _BODIES[kind]]
    return pa.schema(COMMON_FIELDS + fields, metadata={"kind": kind})


SCHEMAS: Final[dict[str, pa.Schema]] = {kind: _schema(kind) for kind in _BODIES}


def schema_for(kind: str) -> pa.Schema:
    return SCHEMAS[kind]
