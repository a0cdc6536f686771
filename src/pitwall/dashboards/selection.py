"""Chart selections feeding downstream cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl


def filter_by_selection(
    frame: pl.DataFrame, selected: pl.DataFrame | None, *, columns: Sequence[str]
) -> pl.DataFrame:
    """Rows of ``frame`` matching the selected rows on ``columns``; all rows when nothing is
    selected (an empty or missing selection)."""
    if selected is None or selected.is_empty() or not set(columns) <= set(selected.columns):
        return frame
    keys = selected.select([pl.col(c).cast(frame.schema[c]) for c in columns]).unique()
    return frame.join(keys, on=list(columns), how="semi", nulls_equal=True)


def selected_row(selected: pl.DataFrame | None, *, columns: Sequence[str]) -> dict[str, Any] | None:
    """The values of ``columns`` when the selection holds exactly one combination of them,
    else None (nothing or several things selected)."""
    if selected is None or selected.is_empty() or not set(columns) <= set(selected.columns):
        return None
    distinct = selected.select(columns).unique()
    return distinct.row(0, named=True) if distinct.height == 1 else None


def selected_point(selections: Mapping[str, Any] | None, *, param: str, field: str) -> Any | None:
    """The value of ``field`` picked by the point selection ``param`` of a chart (its
    ``selections``), or None when nothing is picked (other selections are ignored)."""
    picked = (selections or {}).get(param)
    values = picked.get(field) if isinstance(picked, Mapping) else None
    return values[0] if isinstance(values, list | tuple) and values else None


def selected_value(selected: pl.DataFrame | None, *, column: str) -> Any | None:
    """The one value of ``column`` in the selection, else None."""
    row = selected_row(selected, columns=[column])
    return None if row is None else row[column]
