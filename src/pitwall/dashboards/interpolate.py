"""Linear interpolation of one column against another with polars (no numpy needed)."""

from __future__ import annotations

import polars as pl


def interpolate_at(
    samples: pl.DataFrame,
    at: pl.Series,
    *,
    x: str,
    y: str,
) -> pl.Series:
    """``y`` of ``samples`` linearly interpolated at the ``x`` positions ``at``.

    Outside the sampled range the nearest sample's ``y`` is used. ``samples`` need not be
    sorted; rows with a null ``x`` or ``y`` are ignored. The result is aligned with ``at``.
    """
    points = (
        samples.select(pl.col(x).cast(pl.Float64).alias("_x"), pl.col(y).cast(pl.Float64))
        .drop_nulls()
        .sort("_x")
        .unique("_x", keep="first", maintain_order=True)
    )
    if points.is_empty():
        return pl.Series(y, [None] * len(at), dtype=pl.Float64)
    query = pl.DataFrame({"_x": at.cast(pl.Float64), "_i": pl.int_range(len(at), eager=True)})
    ordered = query.drop_nulls("_x").sort("_x")
    before = ordered.join_asof(
        points.rename({"_x": "_x0", y: "_y0"}), left_on="_x", right_on="_x0", strategy="backward"
    )
    both = before.join_asof(
        points.rename({"_x": "_x1", y: "_y1"}), left_on="_x", right_on="_x1", strategy="forward"
    )
    fraction = (pl.col("_x") - pl.col("_x0")) / (pl.col("_x1") - pl.col("_x0"))
    value = (
        pl.when(pl.col("_x0").is_null())
        .then(pl.col("_y1"))
        .when(pl.col("_x1").is_null() | (pl.col("_x1") == pl.col("_x0")))
        .then(pl.col("_y0"))
        .otherwise(pl.col("_y0") + (pl.col("_y1") - pl.col("_y0")) * fraction)
    )
    found = both.select("_i", value.alias(y))
    return query.select("_i").join(found, on="_i", how="left").sort("_i").get_column(y)
