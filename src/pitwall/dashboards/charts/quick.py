"""A quick chart for any query result: the SQL explorer plots what it can guess."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import altair as alt
import polars as pl

ChartKind = Literal["line", "bar", "scatter"]
MAX_POINTS = 5_000
POINT_PICK = "rows"


@dataclass(frozen=True)
class QuickPlan:
    """Which columns a quick chart uses and how."""

    kind: ChartKind
    x: str
    y: str
    color: str | None = None


def plan_quick_chart(frame: pl.DataFrame) -> QuickPlan | None:
    """Guess a chart: time + number -> line, text + number -> bar, two numbers -> scatter.

    The first text column with few values (< 20) colours lines and scatters. None when the
    result has no numeric column or no second column to plot it against.
    """
    schema = frame.schema
    numeric = [c for c, t in schema.items() if t.is_numeric() and t != pl.Boolean]
    temporal = [c for c, t in schema.items() if t.is_temporal()]
    text = [c for c, t in schema.items() if t in (pl.String, pl.Categorical, pl.Boolean)]
    if not numeric:
        return None
    few = [c for c in text if frame.get_column(c).n_unique() < 20]
    color = few[0] if few else None
    if temporal:
        return QuickPlan("line", temporal[0], numeric[0], color)
    if text:
        return QuickPlan("bar", text[0], numeric[0], None)
    if len(numeric) >= 2:
        return QuickPlan("scatter", numeric[0], numeric[1], color)
    return None


def quick_chart(frame: pl.DataFrame, *, width: int = 640) -> alt.Chart | None:
    """The chart of :func:`plan_quick_chart` over the first ``MAX_POINTS`` rows (brushable)."""
    plan = plan_quick_chart(frame)
    if plan is None:
        return None
    columns = [plan.x, plan.y] + ([plan.color] if plan.color else [])
    data = frame.head(MAX_POINTS).select(list(dict.fromkeys(columns)))
    if plan.kind == "bar":
        chart = (
            alt.Chart(data)
            .mark_bar()
            .encode(x=alt.X(f"{plan.x}:N", sort="-y"), y=alt.Y(f"{plan.y}:Q"))
        )
        pick = alt.selection_point(name=POINT_PICK, fields=[plan.x])
    else:
        mark = (
            alt.Chart(data).mark_line(point=True)
            if plan.kind == "line"
            else (alt.Chart(data).mark_circle())
        )
        x_type = "T" if plan.kind == "line" else "Q"
        chart = mark.encode(x=alt.X(f"{plan.x}:{x_type}"), y=alt.Y(f"{plan.y}:Q"))
        pick = alt.selection_interval(name=POINT_PICK)
    if plan.color:
        chart = chart.encode(color=alt.Color(f"{plan.color}:N"))
    return (
        chart.encode(tooltip=list(data.columns))
        .add_params(pick)
        .properties(width=width, height=260)
    )
