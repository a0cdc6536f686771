"""Telemetry charts: channels against distance, the time delta between laps, sector times."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

CHANNEL_TITLES: dict[str, str] = {
    "speed_kmh": "speed (km/h)",
    "throttle": "throttle",
    "brake": "brake",
    "steer": "steering",
    "gear": "gear",
    "rpm": "rpm",
}
DISTANCE_BRUSH = "distance"


def lap_name(lap_number: pl.Expr) -> pl.Expr:
    return pl.lit("Lap ") + lap_number.cast(pl.String)


def channels_chart(
    traces: pl.DataFrame,
    *,
    channels: Sequence[str] = tuple(CHANNEL_TITLES),
    width: int = 760,
    row_height: int = 95,
) -> alt.FacetChart:
    """One row per channel against ``lap_distance_m``, one line per lap, sharing an x brush.

    ``traces`` holds ``lap_number``, ``lap_distance_m`` and the channels; brushing the
    distance axis selects the same stretch of every channel (param ``distance``).
    """
    present = [c for c in channels if c in traces.columns]
    long = (
        traces.select(
            lap_name(pl.col("lap_number")).alias("lap"),
            pl.col("lap_distance_m").cast(pl.Float64),
            *[pl.col(c).cast(pl.Float64) for c in present],
        )
        .unpivot(index=["lap", "lap_distance_m"], variable_name="channel", value_name="value")
        .with_columns(pl.col("channel").replace_strict(CHANNEL_TITLES, default=pl.col("channel")))
    )
    brush = alt.selection_interval(encodings=["x"], name=DISTANCE_BRUSH)
    base = (
        alt.Chart(long)
        .mark_line(strokeWidth=1.4)
        .encode(
            x=alt.X("lap_distance_m:Q", title="distance (m)"),
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color("lap:N", title="lap"),
            tooltip=[
                "lap:N",
                "channel:N",
                alt.Tooltip("lap_distance_m:Q", format=".0f"),
                alt.Tooltip("value:Q", format=".2f"),
            ],
        )
        .properties(width=width, height=row_height)
        .add_params(brush)
    )
    order = [CHANNEL_TITLES.get(c, c) for c in present]
    return base.facet(row=alt.Row("channel:N", sort=order, title=None)).resolve_scale(
        y="independent"
    )


def delta_chart(delta: pl.DataFrame, *, title: str, width: int = 760) -> alt.Chart:
    """The running time delta (seconds) against distance; above zero = behind the reference."""
    frame = delta.select("lap_distance_m", (pl.col("delta_ms") / 1000).alias("delta_s"))
    return (
        alt.Chart(frame, title=title)
        .mark_area(line=True, opacity=0.35)
        .encode(
            x=alt.X("lap_distance_m:Q", title="distance (m)"),
            y=alt.Y("delta_s:Q", title="delta (s)"),
            tooltip=[
                alt.Tooltip("lap_distance_m:Q", format=".0f"),
                alt.Tooltip("delta_s:Q", format="+.3f"),
            ],
        )
        .properties(width=width, height=150)
    )


def sectors_chart(sectors: pl.DataFrame, *, width: int = 380) -> alt.Chart:
    """Sector times (s) of each lap, grouped by sector; invalid laps are faded."""
    frame = sectors.select(
        pl.concat_str(pl.lit("S"), pl.col("sector").cast(pl.String)).alias("sector"),
        lap_name(pl.col("lap_number")).alias("lap"),
        (pl.col("sector_ms") / 1000).alias("seconds"),
        pl.col("valid").fill_null(False),
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("sector:N", title=None),
            xOffset="lap:N",
            y=alt.Y("seconds:Q", title="sector time (s)", scale=alt.Scale(zero=False)),
            color=alt.Color("lap:N"),
            opacity=alt.condition("datum.valid", alt.value(1.0), alt.value(0.35)),
            tooltip=["lap:N", "sector:N", alt.Tooltip("seconds:Q", format=".3f"), "valid:N"],
        )
        .properties(width=width, height=220)
    )
