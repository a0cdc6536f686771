"""CLEAN ``ac_telemetry``: every channel of the game's RTCarInfo, named and with its unit.

RAW ``ac_rt_car_info`` keeps each datagram as decoded (``[4]`` arrays, AC's conventions);
CLEAN keeps every channel, one column per wheel for the arrays (suffixes ``_fl``, ``_fr``,
``_rl``, ``_rr``), under the names and units of :data:`CHANNELS`. ``docs/telemetry.md`` is the
same table for people (a test keeps the two equal). The redundant speeds (``speed_mph``,
``speed_ms``: the same channel as ``speed_kmh``) and the framing (``identifier``, ``size``) are
not kept; the lap clock becomes ``lap_number``, ``lap_time_ms`` and ``distance_m``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl
from deltalake import DeltaTable

__all__ = [
    "CHANNELS",
    "KEY_COLUMNS",
    "WHEELS",
    "Channel",
    "channel_columns",
    "column_docs",
    "comment_delta_columns",
]

WHEELS: Final = ("fl", "fr", "rl", "rr")


@dataclass(frozen=True)
class Channel:
    """A CLEAN column (or, for a wheel channel, four: ``<column>_fl`` ...) from a RAW field."""

    column: str
    source: str  # the RAW field (RTCarInfo, reference A.4, snake_case)
    unit: str
    description: str
    wheels: bool = False
    kind: type[pl.DataType] = pl.Float64

    def names(self) -> list[str]:
        return [f"{self.column}_{w}" for w in WHEELS] if self.wheels else [self.column]


# The columns every row has before the channels: where and when the sample is.
KEY_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "session_id": ("", "session (see ac_sessions)"),
    "car_id": ("", "car slot (0: the game's player)"),
    "lap_number": ("", "lap the sample belongs to, from 1 (AC lapCount + 1)"),
    "ts": ("UTC", "receive time of the datagram"),
    "lap_time_ms": ("ms", "time since the lap started (AC lapTime)"),
    "distance_m": ("m", "distance along the lap since the line (integrated speed)"),
    "normalized_pos": ("0..1", "position along the track spline (AC carPositionNormalized)"),
}

CHANNELS: Final[tuple[Channel, ...]] = (
    Channel("speed_kmh", "speed_kmh", "km/h", "speed"),
    Channel("throttle", "gas", "0..1", "throttle pedal"),
    Channel("brake", "brake", "0..1", "brake pedal"),
    Channel("clutch", "clutch", "0..1", "clutch (1 = engaged)"),
    Channel("steer", "steer", "deg", "steering angle"),
    Channel("gear", "gear", "", "gear: -1 = R, 0 = N, 1 = first (AC's gear - 1)", kind=pl.Int64),
    Channel("rpm", "engine_rpm", "rpm", "engine speed"),
    Channel("x", "car_coordinates", "m", "world x"),
    Channel("y", "car_coordinates", "m", "world y (up)"),
    Channel("z", "car_coordinates", "m", "world z"),
    Channel("g_lateral", "acc_g_horizontal", "g", "lateral acceleration (AC accG_horizontal)"),
    Channel("g_longitudinal", "acc_g_frontal", "g", "longitudinal acceleration, > 0 speeding up"),
    Channel("g_vertical", "acc_g_vertical", "g", "vertical acceleration"),
    Channel("cg_height", "cg_height", "m", "height of the centre of gravity"),
    Channel("car_slope", "car_slope", "", "car slope (always 0 in released AC builds)"),
    Channel("abs_enabled", "is_abs_enabled", "bool", "ABS switched on", kind=pl.Boolean),
    Channel("abs_active", "is_abs_in_action", "bool", "ABS acting", kind=pl.Boolean),
    Channel("tc_enabled", "is_tc_enabled", "bool", "traction control switched on", kind=pl.Boolean),
    Channel("tc_active", "is_tc_in_action", "bool", "traction control acting", kind=pl.Boolean),
    Channel("in_pit", "is_in_pit", "bool", "in the pit lane", kind=pl.Boolean),
    Channel("limiter", "is_engine_limiter_on", "bool", "on the rev limiter", kind=pl.Boolean),
    Channel("last_lap_ms", "last_lap", "ms", "time of the previous lap", kind=pl.Int64),
    Channel("best_lap_ms", "best_lap", "ms", "best lap of the session so far", kind=pl.Int64),
    Channel("wheel_speed", "wheel_angular_speed", "rad/s", "wheel angular speed", wheels=True),
    Channel("slip_angle", "slip_angle", "deg", "tyre slip angle", wheels=True),
    Channel(
        "slip_angle_contact_patch",
        "slip_angle_contact_patch",
        "deg",
        "slip angle at the contact patch (always 0 in released AC builds)",
        wheels=True,
    ),
    Channel("slip_ratio", "slip_ratio", "ratio", "longitudinal slip ratio", wheels=True),
    Channel("tyre_slip", "tyre_slip", "", "(always 0 in released AC builds)", wheels=True),
    Channel("nd_slip", "nd_slip", "ratio", "combined slip / slip at peak grip", wheels=True),
    Channel("tyre_load", "load", "N", "vertical load on the tyre", wheels=True),
    Channel("tyre_dy", "dy", "", "tyre friction coefficient (AC Dy)", wheels=True),
    Channel("tyre_mz", "mz", "N·m", "self-aligning torque (AC Mz)", wheels=True),
    Channel("tyre_dirt", "tyre_dirty_level", "0..5", "dirt on the tyre", wheels=True),
    Channel("camber", "camber_rad", "rad", "camber angle", wheels=True),
    Channel("tyre_radius", "tyre_radius", "m", "unloaded tyre radius", wheels=True),
    Channel("tyre_loaded_radius", "tyre_loaded_radius", "m", "loaded tyre radius", wheels=True),
    Channel(
        "suspension_travel",
        "suspension_height",
        "m",
        "suspension travel (AC suspensionHeight)",
        wheels=True,
    ),
)
_AXES: Final = {"x": 0, "y": 1, "z": 2}


def channel_columns(raw: pl.DataFrame) -> list[pl.Expr]:
    """The channel columns of CLEAN from RAW ``rt_car_info`` rows (a RAW field the frame lacks
    gives nulls: old captures stay readable)."""
    exprs: list[pl.Expr] = []
    for channel in CHANNELS:
        present = channel.source in raw.columns
        for i, name in enumerate(channel.names()):
            if not present:
                exprs.append(pl.lit(None, channel.kind).alias(name))
                continue
            value = pl.col(channel.source)
            if channel.wheels:
                value = value.list.get(i, null_on_oob=True)
            elif channel.column in _AXES:
                value = value.list.get(_AXES[channel.column], null_on_oob=True)
            elif channel.column == "gear":
                value = value - 1  # AC: 0 = R, 1 = N, 2 = first
            exprs.append(value.cast(channel.kind).alias(name))
    return exprs


def column_docs() -> dict[str, tuple[str, str]]:
    """Every CLEAN ``ac_telemetry`` column: ``(unit, description)``."""
    docs = dict(KEY_COLUMNS)
    for channel in CHANNELS:
        for name, wheel in zip(channel.names(), WHEELS if channel.wheels else ("",), strict=False):
            suffix = f", {wheel.upper()} wheel" if channel.wheels else ""
            docs[name] = (channel.unit, f"{channel.description}{suffix}")
    return docs


def comment_delta_columns(
    uri: str, *, storage_options: Mapping[str, str] | None = None
) -> list[str]:
    """Write each ``ac_telemetry`` column's unit and description into the Delta schema as its
    ``comment`` (field metadata), where it is missing or different; return the columns changed.

    Idempotent: a second call changes nothing and commits nothing. Each changed column is one
    Delta commit (``set_column_metadata``), so this belongs after the table's first write.
    """
    table = DeltaTable(uri, storage_options=dict(storage_options or {}))
    docs = column_docs()
    changed = []
    for field in table.schema().fields:
        if field.name not in docs:
            continue
        unit, description = docs[field.name]
        comment = f"{description} ({unit})" if unit else description
        if (field.metadata or {}).get("comment") != comment:
            table.alter.set_column_metadata(field.name, {"comment": comment})
            changed.append(field.name)
    return changed
