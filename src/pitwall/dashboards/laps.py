"""Lap analysis of game telemetry, the way MoTeC i2 does it.

Laps of a session are overlaid with a reference lap taken from any session or driver on the same
circuit and car (all-time best, session best, personal best, or any other lap). Every lap is
resampled onto one shared axis: the track position (the spline position times the lap length,
so corners line up whatever the distance drift) or each lap's own elapsed time. The time delta
to the reference is ``lap time - reference time`` at the same track position: ``+`` means slower
than the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from pitwall.assetto.telemetry import column_docs
from pitwall.dashboards.formatting import format_delta, format_lap_time
from pitwall.dashboards.math_channels import (
    MathChannelError,
    add_math_channels,
    parse_math_channels,
)
from pitwall.queries.circuits import read_circuit_sectors
from pitwall.queries.frames import Connection
from pitwall.queries.reference import LAP_KEY, read_lap_samples, read_telemetry_laps
from pitwall.queries.schema import read_columns
from pitwall.queries.sectors import best_sectors, read_sector_times

__all__ = [
    "DEFAULT_CHANNELS",
    "REQUIRED_TABLES",
    "Axis",
    "LapAnalysis",
    "align_laps",
    "analyse_laps",
    "available_channels",
    "channel_options",
    "channel_title",
    "cursor_readout",
    "default_lap_keys",
    "gg_points",
    "lap_choices",
    "lap_key",
    "lap_summary",
    "nearest_x",
    "parse_sector_lines",
    "read_lap_set",
    "read_session_laps_with_telemetry",
    "read_telemetry_sessions",
    "reference_choices",
    "sector_summary",
    "selected_laps",
    "window_from",
]

Axis = Literal["distance", "time"]
REQUIRED_TABLES: tuple[str, ...] = ("clean.ac_sessions", "clean.ac_laps", "clean.ac_telemetry")
DEFAULT_CHANNELS: tuple[str, ...] = ("speed_kmh", "throttle", "brake", "steer", "gear", "rpm")
GRID_STEP: dict[str, float] = {"distance": 4.0, "time": 0.05}
BASE_COLUMNS: tuple[str, ...] = ("normalized_pos", "distance_m", "x", "z")
_NOT_CHANNELS = {
    "session_id", "car_id", "lap_number", "ts", "lap_time_ms", "distance_m",
    "normalized_pos", "x", "y", "z", "capture_id",
}  # fmt: skip
_DOCS = column_docs()


_TITLES = {"throttle": "throttle", "brake": "brake", "gear": "gear", "steer": "steering (deg)"}


def channel_title(channel: str) -> str:
    """``speed_kmh`` -> ``speed (km/h)``; a math channel keeps its name."""
    if channel in _TITLES:
        return _TITLES[channel]
    if channel not in _DOCS:
        return channel
    unit, description = _DOCS[channel]
    label = description.split(" (", 1)[0].split(":", 1)[0]
    return f"{label} ({unit})" if unit and unit not in ("bool", "0..1", "ratio") else label


def available_channels(con: Connection) -> list[str]:
    """The numeric ``clean.ac_telemetry`` channels that can be plotted, in table order."""
    numeric = ("DOUBLE", "FLOAT", "REAL", "BIGINT", "INTEGER", "SMALLINT", "DOUBLE PRECISION")
    return [
        c.name
        for c in read_columns(con, layer="clean", table="ac_telemetry")
        if c.name not in _NOT_CHANNELS and c.sql_type.upper() in numeric
    ]


# ----------------------------------------------------------------------------- laps
def lap_key(session_id: str, car_id: int, driver_key: str, lap_number: int) -> str:
    """A lap's identity as one string (pickers' values): session, car, driver and lap."""
    return f"{session_id}|{car_id}|{driver_key}|{lap_number}"


def _with_keys(laps: pl.DataFrame) -> pl.DataFrame:
    return laps.with_columns(
        pl.concat_str(
            pl.col("session_id"),
            pl.col("car_id").cast(pl.String),
            pl.col("driver_key"),
            pl.col("lap_number").cast(pl.String),
            separator="|",
        ).alias("key")
    )


def read_telemetry_sessions(con: Connection) -> pl.DataFrame:
    """Sessions with complete telemetry laps, newest first: ``session_id, track, layout,
    car_model, driver_key, driver_name, started_at, laps, label``."""
    laps = read_telemetry_laps(con)
    if laps.is_empty():
        return laps.select("session_id").with_columns(pl.lit("").alias("label")).clear()
    sessions = (
        laps.group_by("session_id")
        .agg(
            pl.col("track", "layout", "car_model", "driver_key", "driver_name", "started_at")
            .drop_nulls()
            .first(),
            pl.len().alias("laps"),
            pl.col("lap_time_ms").filter(pl.col("counted")).min().alias("best_ms"),
        )
        .sort("started_at", "session_id", descending=True, nulls_last=True)
    )
    labels = [
        " · ".join(
            p
            for p in (
                r["started_at"].strftime("%Y-%m-%d %H:%M") if r["started_at"] else "undated",
                r["track"] or "unknown track",
                r["driver_name"] or r["driver_key"],
                f"{r['laps']} laps, best {format_lap_time(r['best_ms'])}",
            )
            if p
        )
        for r in sessions.iter_rows(named=True)
    ]
    return sessions.with_columns(pl.Series("label", labels, dtype=pl.String))


def read_session_laps_with_telemetry(con: Connection, session_id: str) -> pl.DataFrame:
    """The session's complete telemetry laps in lap order with ``key`` and ``label``
    (``L3 · 1:47.073`` plus ``invalid`` and its cuts when the lap does not count)."""
    laps = _with_keys(read_telemetry_laps(con, session_id=session_id)).sort("lap_number")
    labels = []
    for r in laps.iter_rows(named=True):
        label = f"L{r['lap_number']} · {format_lap_time(r['lap_time_ms'])}"
        if not r["counted"]:
            label += f" · invalid ({r['cuts']} cuts)" if r["cuts"] else " · invalid"
        labels.append(label)
    return laps.with_columns(pl.Series("label", labels, dtype=pl.String))


def lap_choices(laps: pl.DataFrame) -> dict[str, str]:
    """Picker options ``label -> key`` of a session's laps, in lap order."""
    return dict(zip(laps.get_column("label"), laps.get_column("key"), strict=True))


def default_lap_keys(laps: pl.DataFrame, *, count: int = 2) -> list[str]:
    """The ``count`` fastest counted laps (else the fastest laps)."""
    ranked = laps.sort(~pl.col("counted"), "lap_time_ms", "lap_number")
    return ranked.get_column("key").head(count).to_list()


def reference_choices(
    circuit_laps: pl.DataFrame, *, session_id: str, driver_key: str | None
) -> dict[str, str]:
    """Picker options ``label -> key`` for the reference lap: the all-time best, the session
    best and the driver's personal best first, then every lap on the circuit and car."""
    laps = _with_keys(circuit_laps)

    def describe(row: dict[str, object]) -> str:
        when = row["started_at"].strftime("%m-%d %H:%M") if row["started_at"] else "undated"  # type: ignore[attr-defined]
        valid = "" if row["counted"] else " · invalid"
        return (
            f"{format_lap_time(row['lap_time_ms'])} · {row['driver_name'] or row['driver_key']}"  # type: ignore[arg-type]
            f" · L{row['lap_number']} · {when}{valid}"
        )

    options: dict[str, str] = {}
    for title, flag, where in (
        ("All-time best", "all_time_best", pl.lit(True)),
        ("Session best", "session_best", pl.col("session_id") == session_id),
        ("Personal best", "personal_best", pl.col("driver_key") == (driver_key or "")),
    ):
        best = laps.filter(pl.col(flag) & where).head(1)
        if best.height:
            options[f"{title} · {describe(best.row(0, named=True))}"] = best["key"][0]
    for row in laps.iter_rows(named=True):
        options[describe(row)] = row["key"]
    return options


def selected_laps(
    circuit_laps: pl.DataFrame, keys: Sequence[str], *, reference: str | None
) -> pl.DataFrame:
    """The laps to show (``keys``, then the reference), each with a unique ``label`` and
    ``is_reference``. A lap both picked and the reference is shown once, as the reference."""
    laps = _with_keys(circuit_laps)
    wanted = [k for k in dict.fromkeys(keys) if k != reference]
    rows = []
    for key in [*wanted, *([reference] if reference else [])]:
        found = laps.filter(pl.col("key") == key)
        if found.height:
            row = found.row(0, named=True)
            name = row["driver_name"] or row["driver_key"]
            prefix = "Ref · " if key == reference else ""
            row["label"] = (
                f"{prefix}L{row['lap_number']} {format_lap_time(row['lap_time_ms'])} {name}"
            )
            row["is_reference"] = key == reference
            rows.append(row)
    if not rows:
        return laps.head(0).with_columns(
            pl.lit(None, pl.String).alias("label"), pl.lit(None, pl.Boolean).alias("is_reference")
        )
    out = pl.DataFrame(rows, schema={**laps.schema, "label": pl.String, "is_reference": pl.Boolean})
    # two laps may read alike (same lap number, time and driver): number them apart
    dupes = pl.col("label").cum_count().over("label")
    return out.with_columns(
        pl.when(dupes > 1).then(pl.col("label") + " #" + dupes.cast(pl.String)).otherwise("label")
    )


# ----------------------------------------------------------------------------- samples
def read_lap_set(con: Connection, laps: pl.DataFrame, *, channels: Sequence[str]) -> pl.DataFrame:
    """Telemetry of the ``laps`` of :func:`selected_laps` with the lap's ``label`` and
    ``position_m`` (track position: the spline position, unwrapped at the line, times the
    lap length) and ``time_s`` (seconds into the lap)."""
    if laps.is_empty():
        return pl.DataFrame()
    columns = list(dict.fromkeys([*BASE_COLUMNS, *channels]))
    samples = read_lap_samples(con, laps, columns=columns)
    track = laps.get_column("track")[0]
    layout = laps.get_column("layout")[0] or None
    length = read_circuit_sectors(con, track, track_config=layout).get_column("length_m")[0]
    if length is None:  # a circuit without conf: the median distance of these laps
        median = samples.group_by(LAP_KEY).agg(pl.col("distance_m").max())["distance_m"].median()
        length = float(median)  # type: ignore[arg-type]
    early = (pl.col("normalized_pos") > 0.5) & (
        pl.col("lap_time_ms") < 0.25 * pl.col("lap_time_ms").max().over(LAP_KEY)
    )
    order = laps.select(*LAP_KEY, "label", "is_reference").with_row_index("_order")
    return (
        samples.join(order, on=list(LAP_KEY))
        .sort("_order", maintain_order=True)
        .select(
            "label",
            "is_reference",
            *LAP_KEY,
            (pl.col("lap_time_ms") / 1000).alias("time_s"),
            (pl.when(early).then(pl.col("normalized_pos") - 1).otherwise("normalized_pos") * length)
            .cum_max()
            .over(LAP_KEY)
            .alias("position_m"),
            pl.col("x").alias("world_x"),
            pl.col("z").alias("world_z"),
            *[c for c in columns if c not in BASE_COLUMNS],
        )
    )


def _resample(
    lap: pl.DataFrame, *, on: str, grid: np.ndarray, columns: list[str]
) -> dict[str, np.ndarray]:
    x = lap.get_column(on).to_numpy()
    order = np.argsort(x, kind="stable")
    x = x[order]
    out = {}
    for column in columns:
        y = lap.get_column(column).cast(pl.Float64).to_numpy()[order]
        inside = (grid >= x[0]) & (grid <= x[-1])
        out[column] = np.where(inside, np.interp(grid, x, y), np.nan)
    return out


def align_laps(
    samples: pl.DataFrame, *, axis: Axis, channels: Sequence[str], step: float | None = None
) -> pl.DataFrame:
    """Every lap resampled onto one grid of ``x`` (metres of track position, or seconds into
    each lap), with the channels, ``position_m``, ``time_s``, ``x``/``z`` and ``delta_s``: the
    lap's time minus the reference lap's at the same track position (``+`` = slower)."""
    if samples.is_empty():
        return pl.DataFrame()
    step = step or GRID_STEP[axis]
    reference = samples.filter(pl.col("is_reference"))
    ref_pos = reference.get_column("position_m").to_numpy() if reference.height else None
    ref_time = reference.get_column("time_s").to_numpy() if reference.height else None
    on = "position_m" if axis == "distance" else "time_s"
    columns = list(
        dict.fromkeys(["position_m", "time_s", "world_x", "world_z", *channels, "delta_s"])
    )
    columns = [c for c in columns if c in samples.columns or c == "delta_s"]
    end = float(samples.get_column(on).max())  # type: ignore[arg-type]
    grid = np.arange(0.0, end + step, step)
    parts = []
    for (label,), lap in samples.partition_by("label", as_dict=True, maintain_order=True).items():
        lap = lap.sort("time_s")
        if ref_pos is not None and ref_time is not None:
            at = lap.get_column("position_m").to_numpy()
            order = np.argsort(ref_pos, kind="stable")
            lap = lap.with_columns(
                delta_s=lap.get_column("time_s") - np.interp(at, ref_pos[order], ref_time[order])
            )
        else:
            lap = lap.with_columns(delta_s=pl.lit(None, pl.Float64))
        values = _resample(lap, on=on, grid=grid, columns=columns)
        parts.append(
            pl.DataFrame({"label": label, "x": grid, **values}).with_columns(
                pl.lit(bool(lap["is_reference"][0])).alias("is_reference")
            )
        )
    frame = pl.concat(parts).fill_nan(None)
    return frame.filter(pl.col("time_s").is_not_null())


def nearest_x(aligned: pl.DataFrame, at: float) -> float | None:
    """The grid point of ``aligned`` nearest to ``at``."""
    if aligned.is_empty():
        return None
    xs = aligned.get_column("x").unique().sort().to_numpy()
    return float(xs[np.argmin(np.abs(xs - at))])


def cursor_readout(aligned: pl.DataFrame, *, at: float, channels: Sequence[str]) -> pl.DataFrame:
    """Every channel of every lap at the cursor ``at`` (an ``x`` of the grid): one row per
    channel, one column per lap, values formatted (times as m:ss.mmm, delta signed)."""
    x = nearest_x(aligned, at)
    if x is None:
        return pl.DataFrame()
    here = aligned.filter(pl.col("x") == x)
    rows = []
    shown = [*channels, "time_s", "position_m", "delta_s"]
    for channel in dict.fromkeys(shown):
        if channel not in here.columns:
            continue
        row = {"channel": "Δt vs ref (s)" if channel == "delta_s" else channel_title(channel)}
        if channel == "time_s":
            row["channel"] = "lap time"
        if channel == "position_m":
            row["channel"] = "track position (m)"
        for label, value in here.select("label", channel).iter_rows():
            if value is None:
                row[label] = "—"
            elif channel == "time_s":
                row[label] = format_lap_time(value * 1000)
            elif channel == "delta_s":
                row[label] = format_delta(value * 1000)
            else:
                row[label] = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
        rows.append(row)
    return pl.DataFrame(rows)


def window_from(selected: pl.DataFrame | None) -> tuple[float, float] | None:
    """The ``x`` range brushed on the overview (its selected rows), or None."""
    if selected is None or selected.is_empty() or "x" not in selected.columns:
        return None
    xs = selected.get_column("x")
    lo, hi = float(xs.min()), float(xs.max())  # type: ignore[arg-type]
    return (lo, hi) if hi > lo else None


# ----------------------------------------------------------------------------- one call
@dataclass(frozen=True)
class LapAnalysis:
    """What the lap analysis shows for the picked laps and reference."""

    shown: pl.DataFrame  # the laps (:func:`selected_laps`)
    aligned: pl.DataFrame  # their channels on one axis (:func:`align_laps`)
    plotted: list[str]  # the channels to stack
    problems: list[str]  # math channels that could not be computed, and why


def channel_options(con: Connection, math: str) -> tuple[list[str], list[str]]:
    """The channels one may stack (the table's and the math channels of ``math``) and the
    math channels' parse problems."""
    try:
        names, problems = [m.name for m in parse_math_channels(math)], []
    except MathChannelError as exc:
        names, problems = [], [str(exc)]
    return available_channels(con) + names, problems


def analyse_laps(
    con: Connection,
    circuit_laps: pl.DataFrame,
    *,
    keys: Sequence[str],
    reference: str | None,
    axis: Axis,
    channels: Sequence[str],
    math: str = "",
) -> LapAnalysis:
    """Read the picked laps and the reference, add the math channels, align them on ``axis``."""
    shown = selected_laps(circuit_laps, keys, reference=reference)
    stored = available_channels(con)
    samples = read_lap_set(con, shown, channels=stored)
    try:
        defined, problems = parse_math_channels(math), []
    except MathChannelError as exc:
        defined, problems = [], [str(exc)]
    if samples.height:
        samples, errors = add_math_channels(samples, defined, over="label")
        problems += errors
    computed = [m.name for m in defined if m.name in samples.columns]
    aligned = align_laps(samples, axis=axis, channels=[*stored, *computed])
    plotted = [c for c in channels if c in stored or c in computed]
    return LapAnalysis(shown=shown, aligned=aligned, plotted=plotted, problems=problems)


def parse_sector_lines(text: str) -> list[float]:
    """``"0.356, 0.661"`` -> ``[0.356, 0.661]`` (commas or semicolons).

    Raises:
        ValueError: not numbers.
    """
    return [float(v) for v in text.replace(";", ",").split(",") if v.strip()]


# ----------------------------------------------------------------------------- tables
def _stretch(aligned: pl.DataFrame, window: tuple[float, float] | None) -> pl.DataFrame:
    """Per lap: top speed, and the time spent in ``window`` (of track position)."""
    inside = aligned.filter(pl.col("x").is_between(*window)) if window else aligned
    return inside.group_by("label").agg(
        pl.col("speed_kmh").max().alias("top"),
        (pl.col("time_s").max() - pl.col("time_s").min()).alias("stretch_s"),
    )


def lap_summary(
    laps: pl.DataFrame, aligned: pl.DataFrame, *, window: tuple[float, float] | None = None
) -> pl.DataFrame:
    """One row per shown lap: driver, session, lap time and gap to the reference, the time on
    the zoomed stretch and its gap, top speed there, validity (times formatted)."""
    if laps.is_empty() or aligned.is_empty():
        return pl.DataFrame()
    stretch = _stretch(aligned, window)
    reference = laps.filter(pl.col("is_reference"))
    ref_ms = reference.get_column("lap_time_ms")[0] if reference.height else None
    ref_stretch = stretch.filter(pl.col("label").is_in(reference.get_column("label").implode()))
    ref_s = ref_stretch.get_column("stretch_s")[0] if ref_stretch.height else None
    rows = []
    for r in laps.join(stretch, on="label", how="left").iter_rows(named=True):
        on_stretch = r["stretch_s"]
        rows.append(
            {
                "lap": r["label"],
                "driver": r["driver_name"] or r["driver_key"],
                "session": r["started_at"].strftime("%Y-%m-%d %H:%M") if r["started_at"] else "—",
                "lap time": format_lap_time(r["lap_time_ms"]),
                "vs ref": format_delta(r["lap_time_ms"] - ref_ms) if ref_ms is not None else "—",
                "stretch": format_lap_time(on_stretch * 1000) if on_stretch is not None else "—",
                "stretch vs ref": format_delta((on_stretch - ref_s) * 1000)
                if on_stretch is not None and ref_s is not None
                else "—",
                "top speed": f"{r['top']:.1f} km/h" if r["top"] is not None else "—",
                "valid": "yes" if r["counted"] else f"no ({r['cuts'] or 0} cuts)",
            }
        )
    return pl.DataFrame(rows)


def sector_summary(
    con: Connection, laps: pl.DataFrame, *, lines: Sequence[float]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Sector times of the shown laps (raw, for the chart) and a formatted table with a last
    row: the theoretical best of the shown counted laps (the sum of their best sectors)."""
    times = read_sector_times(con, laps, lines=lines).join(
        laps.select(*LAP_KEY, "label", "counted"), on=list(LAP_KEY)
    )
    if times.is_empty():
        return times, pl.DataFrame()
    wide = times.pivot(on="sector", index="label", values="sector_ms", sort_columns=True)
    sectors = [c for c in wide.columns if c != "label"]
    best = best_sectors(times.filter(pl.col("counted")))
    total = best.get_column("best_ms").sum() if best.height == len(sectors) else None
    table = wide.select(
        pl.col("label").alias("lap"),
        *[
            pl.col(s).map_elements(format_lap_time, return_dtype=pl.String).alias(f"S{s}")
            for s in sectors
        ],
    )
    best_row = {"lap": "theoretical best"} | {
        f"S{s}": format_lap_time(v) for s, v in best.select("sector", "best_ms").iter_rows()
    }
    best_row["lap"] = f"theoretical best {format_lap_time(total)}" if total else "theoretical best"
    return times, pl.concat([table, pl.DataFrame([best_row])], how="diagonal")


def gg_points(aligned: pl.DataFrame, window: tuple[float, float] | None) -> pl.DataFrame:
    """Lateral and longitudinal g of the shown laps (within the window), with speed."""
    needed = {"g_lateral", "g_longitudinal", "speed_kmh"}
    if aligned.is_empty() or not needed <= set(aligned.columns):
        return pl.DataFrame(schema={c: pl.Float64 for c in needed} | {"label": pl.String})
    inside = aligned.filter(pl.col("x").is_between(*window)) if window else aligned
    return inside.select("label", *sorted(needed)).drop_nulls()
