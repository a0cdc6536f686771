"""Season charts: best lap per session over time, racing-lap spread, cuts and incidents,
head-to-head gaps. Lap times are plotted in seconds with ``m:ss.s`` axis labels."""

from __future__ import annotations

import altair as alt
import polars as pl

from pitwall.dashboards.charts.race import MINUTES_LABEL
from pitwall.dashboards.formatting import format_delta, format_lap_time

DRIVER_PICK = "driver"


def _times(frame: pl.DataFrame, column: str) -> pl.Expr:
    return pl.col(column).map_elements(format_lap_time, return_dtype=pl.String)


def _session(frame: pl.DataFrame) -> tuple[pl.Expr, list[str]]:
    """A label per session (start and name) and the labels in time order."""
    label = pl.concat_str(
        pl.col("started_at").dt.strftime("%m-%d %H:%M:%S"),
        pl.col("session_name").fill_null("session"),
        separator=" ",
    )
    order = (
        frame.sort("started_at")
        .select(label.alias("s"))
        .get_column("s")
        .unique(maintain_order=True)
    )
    return label, order.to_list()


def progress_chart(progress: pl.DataFrame, *, width: int = 620) -> alt.Chart:
    """Each driver's best lap per session, sessions in time order, joined by a line."""
    timed = progress.drop_nulls("best_ms")
    session, order = _session(timed)
    frame = timed.select(
        "driver_name",
        session.alias("session"),
        (pl.col("best_ms") / 1000).alias("best_s"),
        _times(progress, "best_ms").alias("best"),
        "laps",
    )
    return (
        alt.Chart(frame, title="Best lap per session")
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=50))
        .encode(
            x=alt.X("session:O", title=None, sort=order, axis=alt.Axis(labelAngle=-30)),
            y=alt.Y(
                "best_s:Q",
                title="best lap",
                scale=alt.Scale(zero=False),
                axis=alt.Axis(labelExpr=MINUTES_LABEL),
            ),
            color=alt.Color("driver_name:N", title="driver"),
            tooltip=["driver_name:N", "session:N", "best:N", "laps:Q"],
        )
        .properties(width=width, height=240)
    )


def consistency_chart(racing: pl.DataFrame, *, width: int = 620) -> alt.Chart:
    """Every racing lap of each driver (a box of their spread), fastest drivers first."""
    order = (
        racing.group_by("driver_name")
        .agg(pl.col("lap_time_ms").min())
        .sort("lap_time_ms")
        .get_column("driver_name")
        .to_list()
    )
    frame = racing.select(
        "driver_name",
        (pl.col("lap_time_ms") / 1000).alias("lap_s"),
        _times(racing, "lap_time_ms").alias("time"),
    )
    return (
        alt.Chart(frame, title="Racing laps (consistency)")
        .mark_boxplot(extent="min-max", size=14)
        .encode(
            y=alt.Y("driver_name:N", title=None, sort=order),
            x=alt.X(
                "lap_s:Q",
                title="lap time",
                scale=alt.Scale(zero=False),
                axis=alt.Axis(labelExpr=MINUTES_LABEL),
            ),
            color=alt.Color("driver_name:N", legend=None),
        )
        .properties(width=width, height=max(80, 26 * len(order)))
    )


def incidents_chart(drivers: pl.DataFrame, *, width: int = 300) -> alt.Chart:
    """Track-limit cuts and collisions per 100 km, per driver."""
    frame = drivers.select(
        "driver_name",
        pl.col("cuts_per_100km").alias("cuts"),
        pl.col("incidents_per_100km").alias("incidents"),
    ).unpivot(index="driver_name", variable_name="what", value_name="per_100km")
    return (
        alt.Chart(frame.drop_nulls("per_100km"), title="Per 100 km")
        .mark_bar()
        .encode(
            y=alt.Y("driver_name:N", title=None, sort=drivers["driver_name"].to_list()),
            yOffset="what:N",
            x=alt.X("per_100km:Q", title="per 100 km"),
            color=alt.Color(
                "what:N",
                scale=alt.Scale(domain=["cuts", "incidents"], range=["#e8710a", "#d93025"]),
            ),
            tooltip=["driver_name:N", "what:N", alt.Tooltip("per_100km:Q", format=".1f")],
        )
        .properties(width=width, height=max(80, 26 * drivers.height))
    )


def head_to_head_chart(duel: pl.DataFrame, *, width: int = 620) -> alt.Chart:
    """The gap of the driver to the rival in each shared session (> 0: the driver slower)."""
    session, order = _session(duel)
    frame = duel.select(
        session.alias("session"),
        (pl.col("gap_ms") / 1000).alias("gap_s"),
        pl.col("gap_ms").map_elements(format_delta, return_dtype=pl.String).alias("gap"),
        (pl.col("gap_ms") <= 0).alias("driver_ahead"),
    )
    return (
        alt.Chart(frame, title="Gap to the rival per session (+ = slower than the rival)")
        .mark_bar()
        .encode(
            x=alt.X("session:O", title=None, sort=order, axis=alt.Axis(labelAngle=-30)),
            y=alt.Y("gap_s:Q", title="gap (s)"),
            color=alt.condition("datum.driver_ahead", alt.value("#188038"), alt.value("#d93025")),
            tooltip=["session:N", "gap:N"],
        )
        .properties(width=width, height=180)
    )
