"""Lap analysis charts: the overview with its zoom brush, the stacked traces with the time delta
under them and a cursor, the G-G diagram, histograms and sector times.

Laps are coloured the same way in every chart (:func:`lap_colors`); the reference lap is the
dark grey one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import altair as alt
import polars as pl

from pitwall.dashboards.laps import Axis, channel_title

ZOOM = "zoom"
CURSOR = "cursor"
HOVER = "hover"
DELTA_TITLE = "Δt vs ref (s) · + = slower than reference"
PALETTE = ("#1a73e8", "#e8710a", "#188038", "#a142f4", "#d93025", "#12b5cb", "#f538a0", "#9aa0a6")
REFERENCE_COLOR = "#3c4043"
AXIS_TITLES = {"distance": "track position (m)", "time": "lap time (s)"}


def lap_colors(labels: Sequence[str], *, reference: str | None) -> alt.Scale:
    """One colour per lap, the reference dark grey."""
    others = [label for label in labels if label != reference]
    domain = [*others, *([reference] if reference else [])]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(others))]
    return alt.Scale(domain=domain, range=[*colours, *([REFERENCE_COLOR] if reference else [])])


def _reference(aligned: pl.DataFrame) -> str | None:
    ref = aligned.filter(pl.col("is_reference")).get_column("label")
    return ref[0] if ref.len() else None


def _labels(aligned: pl.DataFrame) -> list[str]:
    return aligned.get_column("label").unique(maintain_order=True).to_list()


def overview_chart(aligned: pl.DataFrame, *, axis: Axis, width: int = 900) -> alt.Chart:
    """Speed of every lap on the whole lap: drag across it to zoom (param ``zoom``)."""
    brush = alt.selection_interval(encodings=["x"], name=ZOOM)
    frame = aligned.select("label", "x", "speed_kmh")
    colors = lap_colors(_labels(aligned), reference=_reference(aligned))
    return (
        alt.Chart(frame, title="Drag across the lap to zoom every chart")
        .mark_line(strokeWidth=1)
        .encode(
            x=alt.X("x:Q", title=AXIS_TITLES[axis]),
            y=alt.Y("speed_kmh:Q", title="km/h"),
            color=alt.Color("label:N", scale=colors, legend=None),
        )
        .add_params(brush)
        .properties(width=width, height=70)
    )


def _wide(aligned: pl.DataFrame, channels: Sequence[str]) -> tuple[pl.DataFrame, list[str]]:
    """Rows ``(x, panel)`` with one value column per lap (``L0``, ``L1``...), for panels that
    are the channels then the delta."""
    labels = _labels(aligned)
    fields = {label: f"L{i}" for i, label in enumerate(labels)}
    panels = [*channels, "delta_s"]
    long = aligned.select("label", "x", *[c for c in panels if c in aligned.columns]).unpivot(
        index=["label", "x"], variable_name="panel", value_name="value"
    )
    wide = long.with_columns(pl.col("label").replace_strict(fields)).pivot(
        on="label", index=["x", "panel"], values="value"
    )
    titles = {c: channel_title(c) for c in channels} | {"delta_s": DELTA_TITLE}
    wide = wide.with_columns(pl.col("panel").replace_strict(titles, default=pl.col("panel")))
    for field in fields.values():
        if field not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(field))
    return wide, labels


def stack_chart(
    aligned: pl.DataFrame,
    *,
    channels: Sequence[str],
    axis: Axis,
    window: tuple[float, float] | None = None,
    width: int = 900,
    row_height: int = 90,
) -> alt.FacetChart:
    """The channels stacked on one shared x axis, the time delta to the reference directly
    under them (its sign in its title). Hovering shows a rule across every panel and a
    tooltip with every lap's value at that ``x``; a click pins the cursor (param ``cursor``).
    ``window`` zooms the x axis."""
    wide, labels = _wide(aligned, channels)
    if window:  # only the zoomed stretch: marks outside the axis would widen the chart
        wide = wide.filter(pl.col("x").is_between(*window))
    fields = [f"L{i}" for i in range(len(labels))]
    reference = _reference(aligned)
    mapping = json.dumps(dict(zip(fields, labels, strict=True)), ensure_ascii=False)
    colors = lap_colors(fields, reference=fields[labels.index(reference)] if reference else None)
    x_scale = alt.Scale(domain=list(window), nice=False) if window else alt.Scale(nice=False)
    x = alt.X("x:Q", title=AXIS_TITLES[axis], scale=x_scale)
    hover = alt.selection_point(
        name=HOVER, fields=["x"], on="pointerover", nearest=True, empty=False, clear="pointerout"
    )
    pin = alt.selection_point(name=CURSOR, fields=["x"], on="click", nearest=True, empty=False)
    base = alt.Chart(wide).encode(x=x)
    lines = (
        base.transform_fold(list[str | alt.FieldName](fields), as_=["lap", "value"])
        .mark_line(strokeWidth=1.3, clip=True)
        .encode(
            y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "lap:N",
                scale=colors,
                title="lap",
                legend=alt.Legend(
                    labelExpr=f"{mapping}[datum.label]", orient="top", labelLimit=320
                ),
            ),
        )
    )
    tooltip = [alt.Tooltip("panel:N", title="channel"), alt.Tooltip("x:Q", format=",.1f")] + [
        alt.Tooltip(f"{field}:Q", title=label, format=",.3f")
        for field, label in zip(fields, labels, strict=True)
    ]
    targets = (
        base.mark_point(opacity=0, size=1)
        .encode(y=alt.Y(f"{fields[0]}:Q"), tooltip=tooltip)
        .add_params(hover, pin)
    )
    hover_rule = base.mark_rule(color="#5f6368").encode(tooltip=tooltip).transform_filter(hover)
    pinned = base.mark_rule(color="#d93025", strokeDash=[4, 3]).transform_filter(pin)
    zero = (
        alt.Chart(wide)
        .mark_rule(color="#9aa0a6", strokeWidth=0.8)
        .encode(y=alt.datum(0))
        .transform_filter(alt.datum.panel == DELTA_TITLE)
    )
    order = [channel_title(c) for c in channels] + [DELTA_TITLE]
    return (
        alt.layer(lines, zero, targets, hover_rule, pinned)
        .properties(width=width, height=row_height)
        .facet(
            row=alt.Row(
                "panel:N",
                sort=order,
                title=None,
                header=alt.Header(labelAngle=0, labelAlign="left", labelLimit=220),
            )
        )
        .resolve_scale(y="independent")
    )


def gg_chart(points: pl.DataFrame, *, size: int = 340) -> alt.Chart:
    """The G-G (friction circle) diagram: lateral against longitudinal g, coloured by speed."""
    return (
        alt.Chart(points, title="G-G diagram")
        .mark_circle(size=9, opacity=0.55)
        .encode(
            x=alt.X("g_lateral:Q", title="lateral g", scale=alt.Scale(domain=[-3, 3])),
            y=alt.Y("g_longitudinal:Q", title="longitudinal g", scale=alt.Scale(domain=[-3, 3])),
            color=alt.Color("speed_kmh:Q", title="km/h", scale=alt.Scale(scheme="turbo")),
            tooltip=[
                "label:N",
                alt.Tooltip("g_lateral:Q", format=".2f"),
                alt.Tooltip("g_longitudinal:Q", format=".2f"),
                alt.Tooltip("speed_kmh:Q", format=".0f"),
            ],
        )
        .properties(width=size, height=size)
    )


HISTOGRAMS: dict[str, tuple[str, float]] = {
    "throttle": ("throttle (%)", 10.0),
    "brake": ("brake (%)", 10.0),
    "speed_kmh": ("speed (km/h)", 20.0),
}


def histograms_chart(
    aligned: pl.DataFrame, *, window: tuple[float, float] | None = None, width: int = 250
) -> alt.HConcatChart:
    """Share of the lap (or the window) spent in each band of throttle, brake and speed, per
    lap (bars side by side)."""
    inside = aligned.filter(pl.col("x").is_between(*window)) if window else aligned
    colors = lap_colors(_labels(aligned), reference=_reference(aligned))
    charts = []
    for channel, (title, bin_width) in HISTOGRAMS.items():
        if channel not in inside.columns:
            continue
        scale = 100.0 if channel in ("throttle", "brake") else 1.0
        binned = (
            inside.select("label", (pl.col(channel) * scale).alias("v"))
            .drop_nulls()
            .with_columns(((pl.col("v") / bin_width).floor() * bin_width).cast(pl.Int64))
            .group_by("label", "v")
            .agg(pl.len().alias("n"))
            .with_columns((pl.col("n") / pl.col("n").sum().over("label") * 100).alias("share"))
        )
        charts.append(
            alt.Chart(binned, title=title)
            .mark_bar()
            .encode(
                x=alt.X("v:O", title=None, sort="ascending"),
                xOffset="label:N",
                y=alt.Y("share:Q", title="% of the time"),
                color=alt.Color("label:N", scale=colors, legend=None),
                tooltip=[
                    "label:N",
                    alt.Tooltip("v:O", title="from"),
                    alt.Tooltip("share:Q", format=".1f"),
                ],
            )
            .properties(width=width, height=160)
        )
    return alt.hconcat(*charts)


def sectors_chart(times: pl.DataFrame, *, laps: pl.DataFrame, width: int = 380) -> alt.Chart:
    """Sector times (s) of each shown lap (``laps``: labels and the reference flag), grouped
    by sector; laps that do not count are faded."""
    labels = laps.get_column("label").to_list()
    reference = laps.filter(pl.col("is_reference")).get_column("label")
    colors = lap_colors(labels, reference=reference[0] if reference.len() else None)
    frame = times.select(
        pl.concat_str(pl.lit("S"), pl.col("sector").cast(pl.String)).alias("sector"),
        "label",
        (pl.col("sector_ms") / 1000).alias("seconds"),
        pl.col("counted").fill_null(False),
    )
    return (
        alt.Chart(frame, title="Sector times")
        .mark_bar()
        .encode(
            x=alt.X("sector:N", title=None),
            xOffset="label:N",
            y=alt.Y("seconds:Q", title="sector time (s)", scale=alt.Scale(zero=False)),
            color=alt.Color("label:N", scale=colors, legend=None),
            opacity=alt.condition("datum.counted", alt.value(1.0), alt.value(0.35)),
            tooltip=["label:N", "sector:N", alt.Tooltip("seconds:Q", format=".3f"), "counted:N"],
        )
        .properties(width=width, height=200)
    )
