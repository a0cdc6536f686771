"""Race charts: positions and gaps by lap, lap times per driver."""

from __future__ import annotations

import altair as alt
import polars as pl

from pitwall.dashboards.formatting import format_lap_time

DRIVER_PICK = "driver"


def _drivers(frame: pl.DataFrame) -> list[str]:
    return sorted(frame.get_column("driver_name").drop_nulls().unique().to_list())


def positions_chart(lap_positions: pl.DataFrame, *, width: int = 620) -> alt.Chart:
    """Position after each lap, one line per driver; click a driver to pick (param ``driver``)."""
    pick = alt.selection_point(name=DRIVER_PICK, fields=["driver_name"], on="click")
    cars = max(1, lap_positions.get_column("position").max() or 1)  # type: ignore[operator]
    return (
        alt.Chart(lap_positions.select("lap_number", "position", "driver_name", "car_id"))
        .mark_line(point=True)
        .encode(
            x=alt.X("lap_number:O", title="lap"),
            y=alt.Y(
                "position:Q",
                title="position",
                scale=alt.Scale(domain=[1, cars], reverse=True, nice=False),
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            color=alt.Color(
                "driver_name:N", title="driver", scale=alt.Scale(domain=_drivers(lap_positions))
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.25)),
            tooltip=["driver_name:N", "lap_number:O", "position:Q"],
        )
        .add_params(pick)
        .properties(width=width, height=220)
    )


# axis labels in m:ss.s for values in seconds
MINUTES_LABEL = (
    "floor(datum.value / 60) + ':' + (datum.value % 60 < 10 ? '0' : '')"
    " + format(datum.value % 60, '.1f')"
)


def lap_times_chart(laps: pl.DataFrame, *, width: int = 620) -> alt.LayerChart:
    """Lap times per driver and lap, each driver's laps joined by a line; laps that do not
    count are hollow points."""
    frame = laps.select(
        "lap_number",
        "driver_name",
        (pl.col("lap_time_ms") / 1000).alias("lap_time_s"),
        pl.col("lap_time_ms").map_elements(format_lap_time, return_dtype=pl.String).alias("time"),
        pl.col("valid").fill_null(True),
    )
    color = alt.Color("driver_name:N", title="driver", scale=alt.Scale(domain=_drivers(laps)))
    base = alt.Chart().encode(
        x=alt.X("lap_number:O", title="lap"),
        y=alt.Y(
            "lap_time_s:Q",
            title="lap time",
            scale=alt.Scale(zero=False),
            axis=alt.Axis(labelExpr=MINUTES_LABEL),
        ),
        color=color,
        tooltip=["driver_name:N", "lap_number:O", "time:N", "valid:N"],
    )
    lines = base.mark_line(strokeWidth=1.5)
    valid = base.transform_filter("datum.valid").mark_circle(size=60, opacity=1)
    invalid = base.transform_filter("!datum.valid").mark_point(size=60, filled=False)
    return alt.layer(lines, valid, invalid, data=frame).properties(width=width, height=220)


def gaps_chart(lap_positions: pl.DataFrame, *, width: int = 620) -> alt.Chart:
    """Gap to the leader (s) after each lap, one line per driver."""
    frame = lap_positions.select(
        "lap_number",
        "driver_name",
        "position",
        (pl.col("gap_to_leader_ms").fill_null(0) / 1000).alias("gap_s"),
        (pl.col("gap_to_ahead_ms") / 1000).alias("gap_ahead_s"),
    )
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("lap_number:O", title="lap"),
            y=alt.Y(
                "gap_s:Q",
                title="gap to the leader (s)",
                axis=alt.Axis(labelExpr="'+' + format(datum.value, '.1f')"),
            ),
            color=alt.Color(
                "driver_name:N", title="driver", scale=alt.Scale(domain=_drivers(lap_positions))
            ),
            tooltip=[
                "driver_name:N",
                "lap_number:O",
                "position:Q",
                alt.Tooltip("gap_s:Q", format=".3f"),
                alt.Tooltip("gap_ahead_s:Q", format=".3f", title="gap to car ahead (s)"),
            ],
        )
        .properties(width=width, height=220)
    )
