"""RAW (strings) -> CLEAN (typed, trimmed, one row per key) for a CSV feed. Pure polars."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pitwall.csvfeeds.feeds import ColumnSpec, CsvFeed
from pitwall.lake.ingest import METADATA_COLUMNS, QUARANTINE_SCHEMA

_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]


@dataclass(frozen=True)
class TypedRows:
    """Typed rows ready to merge, and the rows that failed typing (quarantine shape)."""

    clean: pl.LazyFrame
    quarantine: pl.LazyFrame


def polars_type(spec: ColumnSpec) -> pl.DataType:
    return {
        "string": pl.String(),
        "int": pl.Int64(),
        "float": pl.Float64(),
        "bool": pl.Boolean(),
        "date": pl.Date(),
        "datetime": pl.Datetime("us", "UTC"),
        "decimal": pl.Decimal(spec.precision, spec.scale),
    }[spec.type]


def _typed(col: pl.Expr, spec: ColumnSpec) -> pl.Expr:
    match spec.type:
        case "string":
            return col
        case "bool":
            lowered = col.str.to_lowercase()
            return (
                pl.when(lowered.is_in(_TRUE))
                .then(True)
                .when(lowered.is_in(_FALSE))
                .then(False)
                .otherwise(None)
            )
        case "date":
            return col.str.to_date(spec.format, strict=False)
        case "datetime":
            parsed = col.str.to_datetime(spec.format, strict=False, time_unit="us")
            return parsed.dt.replace_time_zone("UTC") if spec.format else _as_utc(col)
        case _:
            return col.cast(polars_type(spec), strict=False)


def _as_utc(col: pl.Expr) -> pl.Expr:
    # ISO-8601 with or without an offset; naive timestamps are taken as UTC.
    with_offset = col.str.replace(r"Z$", "+00:00").str.to_datetime(
        "%Y-%m-%dT%H:%M:%S%.f%z", strict=False, time_unit="us"
    )
    naive = col.str.replace("T", " ").str.to_datetime(
        "%Y-%m-%d %H:%M:%S%.f", strict=False, time_unit="us"
    )
    return pl.coalesce(with_offset.dt.convert_time_zone("UTC"), naive.dt.replace_time_zone("UTC"))


def type_feed_rows(raw: pl.LazyFrame, *, feed: CsvFeed) -> TypedRows:
    """Trim and type the declared columns; rows with a bad value or key, or superseded by a
    later row with the same key in the same batch, go to quarantine with the reason."""
    present = set(raw.collect_schema().names())
    trimmed = raw.with_columns(
        [
            (
                pl.col(c).str.strip_chars().replace("", None)
                if c in present
                else pl.lit(None, pl.String)
            ).alias(c)
            for c in feed.columns
        ]
    )
    typed_exprs = [_typed(pl.col(c), spec).alias(f"__t_{c}") for c, spec in feed.columns.items()]
    problems = [
        pl.when(pl.col(c).is_not_null() & pl.col(f"__t_{c}").is_null()).then(
            pl.format("column {}: cannot parse {} as {}", pl.lit(c), pl.col(c), pl.lit(s.type))
        )
        for c, s in feed.columns.items()
    ] + [pl.when(pl.col(k).is_null()).then(pl.lit(f"missing key column {k}")) for k in feed.key]
    staged = (
        trimmed.with_columns(typed_exprs)
        .with_columns(
            pl.concat_str(problems, separator="; ", ignore_nulls=True)
            .replace("", None)
            .alias("__reason")
        )
        .with_columns(
            pl.when(pl.col("__reason").is_null() & _superseded(feed.key))
            .then(pl.format("duplicate key in batch: superseded by row {}", _last_row(feed.key)))
            .otherwise(pl.col("__reason"))
            .alias("__reason")
        )
    )
    clean = staged.filter(pl.col("__reason").is_null()).select(
        *[pl.col(f"__t_{c}").alias(c) for c in feed.columns], *METADATA_COLUMNS
    )
    quarantine = staged.filter(pl.col("__reason").is_not_null()).select(
        pl.col("_batch_id"),
        pl.col("_ingested_at").cast(QUARANTINE_SCHEMA["_ingested_at"]),
        pl.col("_source"),
        pl.col("_source_row").cast(pl.Int64),
        pl.lit("type").alias("stage"),
        pl.col("__reason").alias("reason"),
        pl.struct([pl.col(c) for c in feed.columns]).struct.json_encode().alias("record"),
    )
    return TypedRows(clean=clean, quarantine=quarantine)


def _valid() -> pl.Expr:
    return pl.col("__reason").is_null()


def _last_row(key: list[str]) -> pl.Expr:
    return (
        pl.when(_valid())
        .then(pl.col("_source_row"))
        .max()
        .over(["_batch_id", *[f"__t_{k}" for k in key]])
    )


def _superseded(key: list[str]) -> pl.Expr:
    return pl.col("_source_row") < _last_row(key)
