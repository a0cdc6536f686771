"""Human-readable labels for lap times, ages and sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import SupportsFloat

import polars as pl


def format_lap_time(ms: SupportsFloat | None) -> str:
    """``91234`` -> ``"1:31.234"``; None -> ``"—"``."""
    if ms is None:
        return "—"
    value = float(ms)
    sign = "-" if value < 0 else ""
    total = round(abs(value))
    minutes, rest = divmod(total, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{sign}{minutes}:{seconds:02d}.{millis:03d}"


def format_delta(ms: int | float | None) -> str:
    """A time difference in seconds with its sign: ``1234`` -> ``"+1.234"``; None -> ``"—"``."""
    if ms is None:
        return "—"
    return f"{'-' if ms < 0 else '+'}{abs(ms) / 1000:.3f}"


def display_frame(
    frame: pl.DataFrame,
    *,
    times: Sequence[str] = (),
    deltas: Sequence[str] = (),
    decimals: Mapping[str, int] | None = None,
    names: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """A frame ready for a table: ``times`` (ms) as ``m:ss.mmm``, ``deltas`` (ms) as signed
    seconds, other float columns rounded (``decimals``, 2 by default), columns renamed."""
    digits = dict(decimals or {})
    exprs = []
    for column, dtype in frame.schema.items():
        if column in times:
            text = pl.col(column).map_elements(format_lap_time, return_dtype=pl.String)
            exprs.append(text.fill_null("—"))
        elif column in deltas:
            text = pl.col(column).map_elements(format_delta, return_dtype=pl.String)
            exprs.append(text.fill_null("—"))
        elif dtype.is_float():
            exprs.append(pl.col(column).round(digits.get(column, 2)))
        else:
            exprs.append(pl.col(column))
    return frame.select(exprs).rename(dict(names or {}), strict=False)


def format_age(age: timedelta | None) -> str:
    """A coarse age: ``"42 s"``, ``"5 min"``, ``"3 h"``, ``"2 d"``; None -> ``"never"``."""
    if age is None:
        return "never"
    seconds = max(0, int(age.total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def session_label(session_id: str, *, track: str | None, started_at: datetime | None) -> str:
    """``"2025-06-01 14:00 · monza · <id>"`` for dropdowns."""
    when = started_at.strftime("%Y-%m-%d %H:%M") if started_at else "undated"
    return f"{when} · {track or 'unknown track'} · {session_id}"


def session_choices(sessions: pl.DataFrame) -> dict[str, str]:
    """Picker options ``label -> session_id`` of sessions (``session_id``, ``track``,
    ``started_at`` columns), in the frame's order."""
    return {
        session_label(sid, track=track, started_at=at): sid
        for sid, track, at in sessions.select("session_id", "track", "started_at").iter_rows()
    }
