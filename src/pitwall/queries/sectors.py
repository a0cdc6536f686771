"""Sector times of laps with telemetry, at the circuit's sector lines.

A sector line is a fraction of the lap (AC's normalised spline position); a lap crosses it at
the lap time interpolated between the two samples around it. The last sector ends at the
official lap time, so a lap's sectors add up to it. A line the telemetry does not cover (a lap
captured late) gives no time for the sectors on either side of it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from pitwall.queries.frames import Connection, fetch_frame

__all__ = [
    "SECTOR_TIME_SCHEMA",
    "best_sectors",
    "read_session_progress",
    "sector_times",
]

KEY = ("session_id", "car_id", "lap_number")
SECTOR_TIME_SCHEMA: dict[str, pl.DataType] = {
    "session_id": pl.String(),
    "car_id": pl.Int64(),
    "lap_number": pl.Int64(),
    "sector": pl.Int64(),
    "sector_ms": pl.Float64(),
}


def read_session_progress(con: Connection, session_ids: Sequence[str]) -> pl.DataFrame:
    """Every sample's lap clock and track position in some sessions (for sector times)."""
    if not session_ids:
        return pl.DataFrame(
            schema={
                **{k: SECTOR_TIME_SCHEMA[k] for k in KEY},
                "lap_time_ms": pl.Int64(),
                "normalized_pos": pl.Float64(),
            }
        )
    params = {f"s{i}": sid for i, sid in enumerate(dict.fromkeys(session_ids))}
    marks = ", ".join(f"${name}" for name in params)
    return fetch_frame(
        con,
        f"""
        SELECT session_id, car_id, lap_number, lap_time_ms, normalized_pos
        FROM clean.ac_telemetry WHERE session_id IN ({marks})
        ORDER BY session_id, car_id, lap_number, ts, lap_time_ms
        """,  # nosec B608
        params,
    )


def _crossings(times: np.ndarray, pos: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Lap time (ms) at each line, NaN where the samples do not reach both sides of it."""
    order = np.argsort(times, kind="stable")
    times, pos = times[order], pos[order]
    lap_ms = times.max() if len(times) else 0.0
    # just before the line the spline position is still ~1: it belongs before 0
    early = (pos > 0.5) & (times < 0.25 * lap_ms)
    unwrapped = np.where(early, pos - 1.0, pos)
    unwrapped = np.maximum.accumulate(unwrapped)  # position never goes backwards
    out = np.interp(lines, unwrapped, times)
    return np.where((lines < unwrapped[0]) | (lines > unwrapped[-1]), np.nan, out)


def sector_times(
    progress: pl.DataFrame, laps: pl.DataFrame, *, lines: Sequence[float]
) -> pl.DataFrame:
    """Times of each lap's sectors (``SECTOR_TIME_SCHEMA``, sectors numbered from 1).

    Args:
        progress: samples with the lap key, ``lap_time_ms`` and ``normalized_pos``.
        laps: the laps to time: the lap key and the official ``lap_time_ms``.
        lines: where sectors end, as fractions of the lap (increasing, in (0, 1)).
    """
    bounds = np.asarray(lines, dtype=np.float64)
    by_lap = progress.partition_by(list(KEY), as_dict=True, maintain_order=True)
    rows: list[tuple[object, ...]] = []
    for session_id, car_id, lap_number, lap_ms in laps.select(*KEY, "lap_time_ms").iter_rows():
        samples = by_lap.get((session_id, car_id, lap_number))
        if samples is None or lap_ms is None or samples.height < 2:
            continue
        times = samples.get_column("lap_time_ms").cast(pl.Float64).to_numpy()
        pos = samples.get_column("normalized_pos").cast(pl.Float64).to_numpy()
        marks = np.concatenate([[0.0], _crossings(times, pos, bounds), [float(lap_ms)]])
        for k, ms in enumerate(np.diff(marks), start=1):
            rows.append((session_id, car_id, lap_number, k, None if np.isnan(ms) else float(ms)))
    return pl.DataFrame(rows, schema=SECTOR_TIME_SCHEMA, orient="row")


def best_sectors(times: pl.DataFrame, *, by: Sequence[str] = ()) -> pl.DataFrame:
    """The best time of each sector (per ``by`` group) and the lap it came from."""
    return (
        times.drop_nulls("sector_ms")
        .sort("sector_ms", *KEY)
        .group_by(*by, "sector", maintain_order=True)
        .first()
        .select(*by, "sector", pl.col("sector_ms").alias("best_ms"), *KEY)
        .sort(*by, "sector")
    )
