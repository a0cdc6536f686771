"""Platform health charts: rows per table, ingestion per source, quarantine reasons."""

from __future__ import annotations

import altair as alt
import polars as pl

TABLE_PICK = "table"
SOURCE_PICK = "source"
REASON_PICK = "reason"
FRESHNESS_COLORS = {"fresh": "#1e8e3e", "stale": "#e37400", "unknown": "#9aa0a6"}


def table_rows_chart(health: pl.DataFrame, *, width: int = 520) -> alt.Chart:
    """Rows of each lake table (symlog scale), coloured by freshness; click to pick one."""
    pick = alt.selection_point(name=TABLE_PICK, fields=["table"], on="click")
    frame = health.select(
        "table", "layer", "name", "rows", "version", "age", "freshness",
    )  # fmt: skip
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("table:N", title=None, sort=None),
            x=alt.X("rows:Q", title="rows (symlog scale)", scale=alt.Scale(type="symlog")),
            color=alt.Color(
                "freshness:N",
                scale=alt.Scale(
                    domain=list(FRESHNESS_COLORS), range=list(FRESHNESS_COLORS.values())
                ),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.4)),
            tooltip=["table:N", "rows:Q", "version:Q", "age:N", "freshness:N"],
        )
        .add_params(pick)
        .properties(width=width, height=max(80, 18 * health.height))
    )


def ingestion_chart(summary: pl.DataFrame, *, width: int = 520) -> alt.LayerChart:
    """Rows landed and quarantined per source (file), side by side on a symlog scale with
    their counts, so a few quarantined rows show beside thousands landed; click a source to
    pick it."""
    pick = alt.selection_point(name=SOURCE_PICK, fields=["source"], on="click")
    long = (
        summary.select("pipeline", "source", "rows_landed", "rows_quarantined")
        .unpivot(index=["pipeline", "source"], variable_name="outcome", value_name="rows")
        .with_columns(
            pl.col("outcome").str.replace("rows_", ""),
            # the last two path segments: long landing paths would crowd the axis
            pl.col("source").str.split("/").list.slice(-2).list.join("/").alias("label"),
        )
    )
    base = alt.Chart().encode(
        y=alt.Y("label:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
        yOffset=alt.YOffset("outcome:N", sort=["landed", "quarantined"]),
        x=alt.X("rows:Q", title="rows (symlog scale)", scale=alt.Scale(type="symlog")),
        tooltip=["pipeline:N", "source:N", "outcome:N", "rows:Q"],
    )
    bars = (
        base.mark_bar()
        .encode(
            color=alt.Color(
                "outcome:N",
                scale=alt.Scale(domain=["landed", "quarantined"], range=["#1a73e8", "#d93025"]),
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.4)),
        )
        .add_params(pick)
    )
    counts = (
        base.transform_filter("datum.rows > 0")
        .mark_text(align="left", dx=3, fontSize=10)
        .encode(text=alt.Text("rows:Q", format=","))
    )
    return alt.layer(bars, counts, data=long).properties(  # type: ignore[return-value]
        width=width, height=max(80, 30 * summary.height)
    )


def quarantine_reasons_chart(summary: pl.DataFrame, *, width: int = 520) -> alt.Chart:
    """Quarantined rows per reason and table; click a reason to browse its rows."""
    pick = alt.selection_point(name=REASON_PICK, fields=["table", "reason"], on="click")
    return (
        alt.Chart(summary.select("table", "stage", "reason", "rows", "batches"))
        .mark_bar(color="#d93025")
        .encode(
            y=alt.Y("reason:N", title=None, sort="-x"),
            x=alt.X("rows:Q", title="quarantined rows"),
            color=alt.Color("table:N"),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.4)),
            tooltip=["table:N", "stage:N", "reason:N", "rows:Q", "batches:Q"],
        )
        .add_params(pick)
        .properties(width=width, height=max(80, 22 * summary.height))
    )
