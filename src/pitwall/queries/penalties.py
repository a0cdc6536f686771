"""Penalties from the reference data (``clean.ref_penalties``) applied to a classification.

A penalty names its driver by ``person_id`` (resolved through :mod:`pitwall.queries.identity`)
or by the driver's name as the session shows it. Struck laps are applied where laps are
counted (:func:`pitwall.queries.identity.driver_laps_sql`); here the others:

- ``time``: seconds added to the classified time, the cars re-ranked (on laps first when the
  standing is a race's, whose time is the total);
- ``position``: the car dropped that many places after that;
- ``dsq``: the car classified last, with status ``DSQ``.
"""

from __future__ import annotations

import polars as pl

from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.schema import has_table

__all__ = ["PENALTY_SCHEMA", "apply_penalties", "read_penalties"]

PENALTY_SCHEMA: dict[str, pl.DataType] = {
    "driver": pl.String(),
    "kind": pl.String(),
    "seconds": pl.Float64(),
    "positions": pl.Int64(),
    "reason": pl.String(),
}


def read_penalties(con: Connection, session_id: str) -> pl.DataFrame:
    """The live penalties of a session (``PENALTY_SCHEMA``), struck laps excluded."""
    if not has_table(con, layer="clean", table="ref_penalties"):
        return pl.DataFrame(schema=PENALTY_SCHEMA)
    found = fetch_frame(
        con,
        """
        SELECT driver, kind, seconds, positions, reason
        FROM clean.ref_penalties
        WHERE NOT deleted AND session_id = $session_id AND kind <> 'struck_lap'
        ORDER BY penalty_id
        """,
        {"session_id": session_id},
    )
    return found.cast(PENALTY_SCHEMA)  # type: ignore[arg-type]


def apply_penalties(
    standing: pl.DataFrame, penalties: pl.DataFrame, *, by_laps: bool
) -> pl.DataFrame:
    """The standing re-classified with the penalties, ``position`` renumbered from 1.

    Args:
        standing: ``position, driver_name, person_id, time_ms, laps`` and any other columns.
        penalties: ``PENALTY_SCHEMA`` rows of the session.
        by_laps: rank on laps (more first) before time, as a race's standing is (else on the
            time alone: a best lap).

    Returns:
        The standing plus ``penalty_ms`` (time added), ``status`` (``classified`` or ``DSQ``)
        and ``penalty_reasons`` (empty list when none).
    """
    if penalties.is_empty():  # the standing as it came
        return standing.with_columns(
            pl.lit(0, dtype=pl.Int64).alias("penalty_ms"),
            pl.lit("classified").alias("status"),
            pl.lit([], dtype=pl.List(pl.String())).alias("penalty_reasons"),
        )
    who = pl.coalesce(pl.col("person_id"), pl.col("driver_name"))
    per_driver = (
        penalties.group_by("driver")
        .agg(
            (pl.col("seconds").filter(pl.col("kind") == "time").sum() * 1000)
            .round()
            .cast(pl.Int64)
            .alias("penalty_ms"),
            pl.col("positions").filter(pl.col("kind") == "position").sum().alias("_drop"),
            (pl.col("kind") == "dsq").any().alias("_dsq"),
            pl.col("reason").alias("penalty_reasons"),
        )
        .rename({"driver": "_who"})
    )
    joined = (
        standing.with_columns(who.alias("_who"))
        .join(per_driver, on="_who", how="left")
        .with_columns(
            pl.col("penalty_ms").fill_null(0),
            pl.col("_drop").fill_null(0),
            pl.col("_dsq").fill_null(False),
            pl.col("penalty_reasons").fill_null([]),
        )
        .with_columns((pl.col("time_ms") + pl.col("penalty_ms")).alias("_time"))
    )
    keys = ["_dsq", "_laps", "_time", "position"] if by_laps else ["_dsq", "_time", "position"]
    ranked = joined.with_columns((-pl.col("laps")).alias("_laps")).sort(
        keys, nulls_last=True, maintain_order=True
    )
    order = list(range(ranked.height))
    drops = ranked.get_column("_drop").to_list()
    for index in sorted(range(len(order)), key=lambda i: -i):  # from the back: drops compose
        if drops[index]:
            at = order.index(index)
            order.insert(min(at + drops[index], len(order) - 1), order.pop(at))
    reordered = ranked[order].sort("_dsq", maintain_order=True)
    return reordered.with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("position"),
        pl.when(pl.col("_dsq")).then(pl.lit("DSQ")).otherwise(pl.lit("classified")).alias("status"),
    ).drop("_who", "_drop", "_dsq", "_time", "_laps")
