"""Assetto Corsa Remote Telemetry (game client, UDP 9996): layouts, decoders, encoders.

Messages are told apart by datagram length (reference A.6): 408/260 handshake response,
328 RTCarInfo, 212/164 RTLap. RTCarInfo is decoded in batches with a numpy structured
dtype (the hot path); the rare messages are decoded one by one.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Any, Final

import numpy as np

from telemetry_capture.wire import ProtocolError, decode_fixed_string, encode_fixed_string

__all__ = [
    "CAR_INFO_SIZE",
    "HANDSHAKE_RESPONSE_SIZES",
    "OP_DISMISS",
    "OP_HANDSHAKE",
    "OP_SUBSCRIBE_SPOT",
    "OP_SUBSCRIBE_UPDATE",
    "RT_CAR_INFO_DTYPE",
    "RT_CAR_INFO_FIELDS",
    "RT_LAP_SIZES",
    "WHEEL_FIELDS",
    "decode_handshake_response",
    "decode_handshaker",
    "decode_rt_car_info",
    "decode_rt_lap",
    "encode_handshake_response",
    "encode_handshaker",
    "encode_rt_car_info",
    "encode_rt_car_infos",
    "encode_rt_lap",
    "rt_car_info_dtype",
]

OP_HANDSHAKE: Final = 0
OP_SUBSCRIBE_UPDATE: Final = 1
OP_SUBSCRIBE_SPOT: Final = 2
OP_DISMISS: Final = 3

CAR_INFO_SIZE: Final = 328
HANDSHAKE_RESPONSE_SIZES: Final = (408, 260)
RT_LAP_SIZES: Final = (212, 164)
HANDSHAKER = struct.Struct("<3i")

# (name, numpy format, offset): reference A.4, in snake_case.
WHEEL_FIELDS: Final = (
    "wheel_angular_speed",
    "slip_angle",
    "slip_angle_contact_patch",
    "slip_ratio",
    "tyre_slip",
    "nd_slip",
    "load",
    "dy",
    "mz",
    "tyre_dirty_level",
    "camber_rad",
    "tyre_radius",
    "tyre_loaded_radius",
    "suspension_height",
)
_SCALARS: Final = (
    ("identifier", "u1", 0),
    ("size", "<i4", 4),
    ("speed_kmh", "<f4", 8),
    ("speed_mph", "<f4", 12),
    ("speed_ms", "<f4", 16),
    ("is_abs_enabled", "u1", 20),
    ("is_abs_in_action", "u1", 21),
    ("is_tc_in_action", "u1", 22),
    ("is_tc_enabled", "u1", 23),
    ("is_in_pit", "u1", 24),
    ("is_engine_limiter_on", "u1", 25),
    ("acc_g_vertical", "<f4", 28),
    ("acc_g_horizontal", "<f4", 32),
    ("acc_g_frontal", "<f4", 36),
    ("lap_time", "<i4", 40),
    ("last_lap", "<i4", 44),
    ("best_lap", "<i4", 48),
    ("lap_count", "<i4", 52),
    ("gas", "<f4", 56),
    ("brake", "<f4", 60),
    ("clutch", "<f4", 64),
    ("engine_rpm", "<f4", 68),
    ("steer", "<f4", 72),
    ("gear", "<i4", 76),
    ("cg_height", "<f4", 80),
)
_TAIL: Final = (
    ("car_position_normalized", "<f4", 308),
    ("car_slope", "<f4", 312),
    ("car_coordinates", ("<f4", (3,)), 316),
)
RT_CAR_INFO_FIELDS: Final = (
    *_SCALARS,
    *((name, ("<f4", (4,)), 84 + 16 * i) for i, name in enumerate(WHEEL_FIELDS)),
    *_TAIL,
)


def rt_car_info_dtype(itemsize: int = CAR_INFO_SIZE) -> np.dtype:
    """The RTCarInfo layout as a structured dtype; ``itemsize`` > 328 views padded slots."""
    names, formats, offsets = zip(*RT_CAR_INFO_FIELDS, strict=True)
    return np.dtype(
        {
            "names": list(names),
            "formats": list(formats),
            "offsets": list(offsets),
            "itemsize": itemsize,
        }
    )


RT_CAR_INFO_DTYPE: Final = rt_car_info_dtype()
BOOL_FIELDS: Final = frozenset(name for name, _, off in _SCALARS if 20 <= off <= 25)


def encode_handshaker(operation: int, *, identifier: int = 1, version: int = 1) -> bytes:
    """The 12-byte client -> game ``handshaker``."""
    return HANDSHAKER.pack(identifier, version, operation)


def decode_handshaker(data: bytes) -> dict[str, int]:
    if len(data) != HANDSHAKER.size:
        raise ProtocolError(f"handshaker must be 12 bytes, got {len(data)}")
    identifier, version, operation = HANDSHAKER.unpack(data)
    return {"identifier": identifier, "version": version, "operation_id": operation}


def decode_handshake_response(data: bytes) -> dict[str, Any]:
    """408-byte modern or 260-byte legacy ``handshakerResponse``."""
    if len(data) == 408:
        ident, version = struct.unpack_from("<2i", data, 200)
        return {
            "car_name": decode_fixed_string(data[0:100], wide=True),
            "driver_name": decode_fixed_string(data[100:200], wide=True),
            "identifier": ident,
            "version": version,
            "track_name": decode_fixed_string(data[208:308], wide=True),
            "track_config": decode_fixed_string(data[308:408], wide=True),
            "layout": "modern",
        }
    if len(data) == 260:
        ident, version = struct.unpack_from("<2i", data, 152)
        return {
            "car_name": decode_fixed_string(data[0:50], wide=False),
            "driver_name": decode_fixed_string(data[50:150], wide=True),
            "identifier": ident,
            "version": version,
            "track_name": decode_fixed_string(data[160:210], wide=False),
            "track_config": decode_fixed_string(data[210:260], wide=False),
            "layout": "legacy",
        }
    raise ProtocolError(f"handshake response must be 408 or 260 bytes, got {len(data)}")


def encode_handshake_response(
    *,
    car_name: str,
    driver_name: str,
    track_name: str,
    track_config: str,
    identifier: int = 4242,
    version: int = 1,
    filler: bytes = b"",
) -> bytes:
    """The modern 408-byte response (``filler`` imitates the garbage after ``%``)."""
    return (
        encode_fixed_string(car_name, size=100, wide=True, filler=filler)
        + encode_fixed_string(driver_name, size=100, wide=True, filler=filler)
        + struct.pack("<2i", identifier, version)
        + encode_fixed_string(track_name, size=100, wide=True, filler=filler)
        + encode_fixed_string(track_config, size=100, wide=True, filler=filler)
    )


def decode_rt_lap(data: bytes) -> dict[str, Any]:
    """212-byte modern or 164-byte legacy ``RTLap``."""
    if len(data) == 212:
        car, lap = struct.unpack_from("<2i", data, 0)
        return {
            "car_identifier_number": car,
            "lap": lap,
            "driver_name": decode_fixed_string(data[8:108], wide=True),
            "car_name": decode_fixed_string(data[108:208], wide=True),
            "time": struct.unpack_from("<i", data, 208)[0],
            "layout": "modern",
        }
    if len(data) == 164:
        car, lap = struct.unpack_from("<2i", data, 0)
        return {
            "car_identifier_number": car,
            "lap": lap,
            "driver_name": decode_fixed_string(data[8:108], wide=True),
            "car_name": decode_fixed_string(data[108:158], wide=False),
            "time": struct.unpack_from("<i", data, 160)[0],
            "layout": "legacy",
        }
    raise ProtocolError(f"RTLap must be 212 or 164 bytes, got {len(data)}")


def encode_rt_lap(
    *,
    car_identifier_number: int,
    lap: int,
    driver_name: str,
    car_name: str,
    time: int,
    filler: bytes = b"",
) -> bytes:
    return (
        struct.pack("<2i", car_identifier_number, lap)
        + encode_fixed_string(driver_name, size=100, wide=True, filler=filler)
        + encode_fixed_string(car_name, size=100, wide=True, filler=filler)
        + struct.pack("<i", time)
    )


def check_rt_car_info(data: bytes) -> None:
    """Raise ProtocolError unless ``data`` looks like an RTCarInfo."""
    if len(data) != CAR_INFO_SIZE:
        raise ProtocolError(f"RTCarInfo must be {CAR_INFO_SIZE} bytes, got {len(data)}")
    if data[0] != ord("a"):
        raise ProtocolError(f"RTCarInfo identifier is {data[0]:#04x}, not 'a'")
    size = struct.unpack_from("<i", data, 4)[0]
    if size != CAR_INFO_SIZE:
        raise ProtocolError(f"RTCarInfo size field is {size}, not {CAR_INFO_SIZE}")


def decode_rt_car_info(data: bytes) -> dict[str, Any]:
    """One RTCarInfo as a dict of Python values (the batch path is in ``decode``)."""
    check_rt_car_info(data)
    record = np.frombuffer(data, dtype=RT_CAR_INFO_DTYPE, count=1)[0]
    out: dict[str, Any] = {}
    for name, *_ in RT_CAR_INFO_FIELDS:
        value = record[name]
        if name == "identifier":
            out[name] = chr(int(value))
        elif name in BOOL_FIELDS:
            out[name] = bool(value)
        elif isinstance(value, np.ndarray):
            out[name] = [float(v) for v in value]
        else:
            out[name] = value.item()
    return out


def encode_rt_car_infos(values: Mapping[str, Any], *, count: int) -> list[bytes]:
    """Pack ``count`` RTCarInfo datagrams at once: each field is a scalar (all datagrams) or an
    array with one value (or one ``[4]``/``[3]`` row) per datagram; missing fields are 0."""
    records = np.zeros(count, dtype=RT_CAR_INFO_DTYPE)
    records["identifier"] = ord("a")
    records["size"] = CAR_INFO_SIZE
    for name in RT_CAR_INFO_DTYPE.names or ():
        if name not in ("identifier", "size") and name in values:
            records[name] = values[name]
    raw = records.tobytes()
    return [raw[i : i + CAR_INFO_SIZE] for i in range(0, count * CAR_INFO_SIZE, CAR_INFO_SIZE)]


def encode_rt_car_info(values: Mapping[str, Any]) -> bytes:
    """Pack a dict of RTCarInfo fields (missing ones are 0) into 328 bytes."""
    return encode_rt_car_infos(values, count=1)[0]
