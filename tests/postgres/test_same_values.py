"""Exact row comparison of the mirror's row diff: nulls, NaN, signed zeros, nested values."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from pitwall.postgres.row_changes import same_values

NAN = float("nan")


@pytest.mark.parametrize(
    ("dtype", "left", "right", "expected"),
    [
        (
            pl.Float64,
            [1.0, NAN, None, 0.0, -0.0, 1.0, None],
            [1.0, NAN, None, 0.0, 0.0, 2.0, 0.0],
            [True, True, True, True, False, False, False],
        ),
        (pl.Float32, [NAN, -0.0, 0.5], [NAN, -0.0, None], [True, True, False]),
        (
            pl.List(pl.Float64),
            [[NAN, None], None, [], [0.0], [1.0], [1.0]],
            [[NAN, None], None, [], [-0.0], [1.0, 1.0], None],
            [True, True, True, False, False, False],
        ),
        (
            pl.Array(pl.Float64, 2),
            [[NAN, 0.0], [1.0, 2.0]],
            [[NAN, 0.0], [1.0, -0.0]],
            [True, False],
        ),
        (
            pl.Struct({"x": pl.Float64, "tags": pl.List(pl.String)}),
            [{"x": NAN, "tags": ["a"]}, None, {"x": 0.0, "tags": None}, {"x": 1.0, "tags": []}],
            [{"x": NAN, "tags": ["a"]}, None, {"x": -0.0, "tags": None}, {"x": 1.0, "tags": None}],
            [True, True, False, False],
        ),
        (pl.String, ["a", None, "", "b"], ["a", None, None, "c"], [True, True, False, False]),
        (pl.Decimal(8, 2), [Decimal("1.50"), None], [Decimal("1.50"), Decimal("0")], [True, False]),
        (pl.Int64, [1, None, 3], [1, None, 4], [True, True, False]),
    ],
)
def test_values_compare_exactly(
    dtype: pl.DataType, left: list[Any], right: list[Any], expected: list[bool]
) -> None:
    result = same_values(pl.Series(left, dtype=dtype), pl.Series(right, dtype=dtype))
    assert result.to_list() == expected
