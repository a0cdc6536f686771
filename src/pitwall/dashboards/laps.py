"""Lap analysis of game telemetry: traced laps, traces by distance, deltas and sectors."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from pitwall.dashboards.formatting import format_lap_time
from pitwall.dashboards.interpolate import interpolate_at
from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.laps import car_model_join
from pitwall.queries.schema import has_table
from pitwall.queries.telemetry import read_lap_trace

CHANNELS: tuple[str, ...] = ("speed_kmh", "throttle", "brake", "steer", "gear", "rpm")
REQUIRED_TABLES: tuple[str, ...] = ("clean.ac_sessions", "clean.ac_laps", "clean.ac_telemetry")

SECTOR_SCHEMA: dict[str, pl.DataType] = {
    "lap_number": pl.Int64(),
    "sector": pl.Int64(),
    "sector_ms": pl.Float64(),
    "valid": pl.Boolean(),
}


def read_telemetry_sessions(con: Connection) -> pl.DataFrame:
    """Sessions with telemetry, newest first (with their cars, laps and samples)."""
    return fetch_frame(
        con,
        """
        SELECT t.session_id, s.track, s.track_config, s.session_type, s.started_at,
               t.cars, t.laps, t.samples
        FROM (
            SELECT session_id, count(DISTINCT car_id) AS cars,
                   count(DISTINCT (car_id, lap_number)) AS laps, count(*) AS samples
            FROM clean.ac_telemetry GROUP BY session_id
        ) t
        LEFT JOIN clean.ac_sessions s ON s.session_id = t.session_id
        ORDER BY s.started_at DESC NULLS LAST, t.session_id
        """,
    )


def read_traced_laps(con: Connection, session_id: str) -> pl.DataFrame:
    """Every (car, lap) with telemetry in a session, with the lap's official time if any.

    ``complete`` tells whether ``clean.ac_laps`` holds the lap (out-laps and the lap in
    progress are not complete); ``label`` reads e.g. ``"Lap 3 · 1:30.951"``.
    """
    if has_table(con, layer="clean", table="ac_laps"):
        laps = "clean.ac_laps"
    else:
        laps = (
            "(SELECT NULL::VARCHAR AS session_id, NULL::INTEGER AS car_id, "
            "NULL::INTEGER AS lap_number, NULL::BIGINT AS lap_time_ms, NULL::BOOLEAN AS valid, "
            "NULL::VARCHAR AS driver_name WHERE false)"
        )
    car_model, join = car_model_join(con, alias="t")
    frame = fetch_frame(
        con,
        f"""
        SELECT t.car_id, t.lap_number, l.driver_name, {car_model}, t.samples,
               t.lap_distance_m, l.lap_time_ms, l.valid, l.lap_number IS NOT NULL AS complete
        FROM (
            SELECT session_id, car_id, lap_number, count(*) AS samples,
                   max(distance_m) AS lap_distance_m
            FROM clean.ac_telemetry WHERE session_id = $session_id
            GROUP BY session_id, car_id, lap_number
        ) t
        LEFT JOIN {laps} l
          ON l.session_id = t.session_id AND l.car_id = t.car_id AND l.lap_number = t.lap_number
        {join}
        ORDER BY t.car_id, t.lap_number
        """,  # nosec B608
        {"session_id": session_id},
    )
    return frame.with_columns(
        pl.Series("label", [_lap_label(row) for row in frame.iter_rows(named=True)], pl.String)
    )


def _lap_label(lap: dict[str, object]) -> str:
    label = f"Lap {lap['lap_number']}"
    if not lap["complete"]:
        return f"{label} · incomplete"
    label += f" · {format_lap_time(lap['lap_time_ms'])}"  # type: ignore[arg-type]
    return label if lap["valid"] else f"{label} · invalid"


def read_lap_traces(
    con: Connection,
    session_id: str,
    *,
    car_id: int,
    laps: Sequence[int | None],
    points: int | None = 1500,
) -> pl.DataFrame:
    """Traces of some laps of one car (``read_lap_trace`` per lap, downsampled to ``points``),
    with ``lap_number`` and ``lap_distance_m``; None and repeated laps are skipped.

    ``lap_distance_m`` is the contract's ``distance_m``: the distance along the lap since the
    line, so a lap whose capture started late begins past zero and still lines up with others.
    """
    frames = [
        read_lap_trace(con, session_id, car_id=car_id, lap_number=lap, points=points).with_columns(
            pl.lit(lap, pl.Int64).alias("lap_number")
        )
        for lap in dict.fromkeys(laps)
        if lap is not None
    ]
    frames = [f for f in frames if f.height]
    if not frames:
        return pl.DataFrame()
    return pl.concat(frames, how="vertical_relaxed").with_columns(
        pl.col("distance_m").alias("lap_distance_m")
    )


def lap_delta(reference: pl.DataFrame, compared: pl.DataFrame) -> pl.DataFrame:
    """Running time delta of ``compared`` against ``reference`` along the lap.

    Both frames hold one lap each with ``lap_distance_m`` and ``lap_time_ms``. At each sample of
    ``compared``, ``delta_ms`` is its lap time minus the reference's lap time interpolated at the
    same distance: positive means ``compared`` is behind.
    """
    compared = compared.sort("lap_distance_m")
    at = compared.get_column("lap_distance_m")
    ref_ms = interpolate_at(reference, at, x="lap_distance_m", y="lap_time_ms")
    return pl.DataFrame(
        {
            "lap_distance_m": at.cast(pl.Float64),
            "delta_ms": compared.get_column("lap_time_ms").cast(pl.Float64) - ref_ms,
        }
    )


def read_lap_progress(con: Connection, session_id: str, *, car_id: int) -> pl.DataFrame:
    """Every sample's lap number, lap time and distance along the lap for one car (for sector
    times)."""
    return fetch_frame(
        con,
        """
        SELECT lap_number, lap_time_ms, distance_m AS lap_distance_m
        FROM clean.ac_telemetry
        WHERE session_id = $session_id AND car_id = $car_id
        ORDER BY lap_number, ts
        """,
        {"session_id": session_id, "car_id": car_id},
    )


def track_length(progress: pl.DataFrame, laps: pl.DataFrame) -> float | None:
    """The lap length: the median distance covered in complete laps (all laps if none)."""
    covered = progress.group_by("lap_number").agg(pl.col("lap_distance_m").max().alias("d"))
    complete = covered.join(laps.select("lap_number").unique(), on="lap_number", how="semi")
    value = (complete if complete.height else covered).get_column("d").median()
    return float(value) if value is not None else None  # type: ignore[arg-type]


def sector_times(
    progress: pl.DataFrame,
    laps: pl.DataFrame,
    *,
    sectors: int = 3,
    length_m: float | None = None,
) -> pl.DataFrame:
    """Times of ``sectors`` equal-length sectors for each lap of ``laps`` having telemetry.

    Args:
        progress: samples with ``lap_number``, ``lap_time_ms`` and ``lap_distance_m``.
        laps: complete laps with ``lap_number``, ``lap_time_ms`` (official) and ``valid``.
        sectors: number of sectors.
        length_m: lap length; by default :func:`track_length`.

    A sector boundary is crossed at the lap time interpolated at its distance; the last
    sector ends at the official lap time, so the sectors of a lap add up to it.
    """
    if sectors < 1:
        raise ValueError("sectors must be positive")
    length = length_m or track_length(progress, laps)
    rows: list[dict[str, object]] = []
    if length is None:
        return pl.DataFrame(schema=SECTOR_SCHEMA)
    bounds = pl.Series([length * k / sectors for k in range(1, sectors)], dtype=pl.Float64)
    by_lap = progress.partition_by("lap_number", as_dict=True)
    for lap_number, lap_ms, valid in laps.select("lap_number", "lap_time_ms", "valid").iter_rows():
        samples = by_lap.get((lap_number,))
        if samples is None or lap_ms is None:
            continue
        crossings = [0.0, *interpolate_at(samples, bounds, x="lap_distance_m", y="lap_time_ms")]
        crossings.append(float(lap_ms))
        for k in range(sectors):
            rows.append(
                {
                    "lap_number": lap_number,
                    "sector": k + 1,
                    "sector_ms": crossings[k + 1] - crossings[k],
                    "valid": valid,
                }
            )
    return pl.DataFrame(rows, schema=SECTOR_SCHEMA)


def theoretical_best(sectors: pl.DataFrame) -> pl.DataFrame:
    """Best time of each sector over the valid laps, and the lap it came from."""
    return (
        sectors.filter(pl.col("valid").fill_null(False))
        .sort("sector_ms", "lap_number")
        .group_by("sector", maintain_order=True)
        .first()
        .select("sector", pl.col("sector_ms").alias("best_ms"), "lap_number")
        .sort("sector")
    )


def distance_window(selected: pl.DataFrame) -> tuple[float, float] | None:
    """The distance range brushed on a chart (its selected rows), or None when nothing is."""
    if selected.is_empty() or "lap_distance_m" not in selected.columns:
        return None
    column = selected.get_column("lap_distance_m")
    return float(column.min()), float(column.max())  # type: ignore[arg-type]


def car_choices(traced: pl.DataFrame) -> dict[str, int]:
    """Picker options ``"car 0 · Dana · ks_mazda_mx5" -> car_id`` of a session's traced laps."""
    cars = (
        traced.group_by("car_id")
        .agg(pl.col("driver_name").drop_nulls().first(), pl.col("car_model").drop_nulls().first())
        .sort("car_id")
    )
    return {
        " · ".join(str(p) for p in (f"car {car}", driver, model) if p is not None): int(car)
        for car, driver, model in cars.select("car_id", "driver_name", "car_model").iter_rows()
    }


def lap_choices(traced: pl.DataFrame, *, car_id: int) -> dict[str, int]:
    """Picker options ``label -> lap_number`` for one car's traced laps, in lap order."""
    laps = traced.filter(pl.col("car_id") == car_id).sort("lap_number")
    return dict(zip(laps.get_column("label"), laps.get_column("lap_number"), strict=True))


def default_laps(traced: pl.DataFrame, *, car_id: int) -> tuple[int | None, int | None]:
    """The fastest valid complete lap and the next fastest one (the default comparison)."""
    ranked = (
        traced.filter(
            (pl.col("car_id") == car_id) & pl.col("complete") & pl.col("valid").fill_null(False)
        )
        .sort("lap_time_ms", "lap_number")
        .get_column("lap_number")
        .to_list()
    )
    if not ranked:
        fallback = traced.filter(pl.col("car_id") == car_id).get_column("lap_number").to_list()
        return (fallback[-1] if fallback else None), None
    return ranked[0], (ranked[1] if len(ranked) > 1 else None)


def select_lap(traces: pl.DataFrame, lap_number: int | None) -> pl.DataFrame:
    """The samples of one lap of :func:`read_lap_traces` (empty for None)."""
    if lap_number is None or traces.is_empty():
        return traces.clear()
    return traces.filter(pl.col("lap_number") == lap_number)


def window_summary(traces: pl.DataFrame, window: tuple[float, float] | None) -> pl.DataFrame:
    """Per lap, over the distance ``window`` (the whole lap when None): time spent, minimum,
    mean and maximum speed, and the share of full throttle and of braking."""
    if traces.is_empty():
        return pl.DataFrame()
    inside = traces.filter(pl.col("lap_distance_m").is_between(*window)) if window else traces
    return (
        inside.group_by("lap_number")
        .agg(
            pl.col("lap_distance_m").min().alias("from_m"),
            pl.col("lap_distance_m").max().alias("to_m"),
            (pl.col("lap_time_ms").max() - pl.col("lap_time_ms").min()).alias("time_ms"),
            pl.col("speed_kmh").min().alias("min_speed_kmh"),
            pl.col("speed_kmh").mean().alias("mean_speed_kmh"),
            pl.col("speed_kmh").max().alias("max_speed_kmh"),
            (pl.col("throttle") >= 0.98).mean().alias("full_throttle_share"),
            (pl.col("brake") > 0.05).mean().alias("braking_share"),
        )
        .with_columns(pl.selectors.float().round(2))
        .sort("lap_number")
    )


def best_lap_summary(laps: pl.DataFrame, best_sectors: pl.DataFrame) -> dict[str, float | None]:
    """The best valid lap, the theoretical best (sum of best sectors) and the gain between."""
    valid = laps.filter(pl.col("valid").fill_null(False)).get_column("lap_time_ms")
    best_lap = float(valid.min()) if valid.len() else None  # type: ignore[arg-type]
    theoretical = float(best_sectors.get_column("best_ms").sum()) if best_sectors.height else None
    gain = best_lap - theoretical if best_lap is not None and theoretical is not None else None
    return {"best_lap_ms": best_lap, "theoretical_best_ms": theoretical, "gain_ms": gain}
