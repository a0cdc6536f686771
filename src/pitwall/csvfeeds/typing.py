"""RAW (strings) -> CLEAN (typed, trimmed, one row per key) for a CSV feed. Pure polars."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pitwall.column_specs import constraint_checks
from pitwall.csvfeeds.feeds import ColumnSpec, CsvFeed
from pitwall.lake.ingest import METADATA_COLUMNS, QUARANTINE_SCHEMA

_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]


@dataclass(frozen=True)
class TypedRows:
    """Lazily typed rows of one batch, each flagged ``__bad`` when it fails a check.

    De-duplication needs the last row of each key, a global fact: :meth:`latest_rows` computes
    it from the keys alone; then the caller runs :meth:`rejected`, :meth:`superseded` and
    :meth:`clean` over chunks of staged rows, so memory stays bounded. The reasons (one string
    per bad row, every failed check named) are formatted by :meth:`with_reasons` for the bad
    rows only: formatting them for every row cost a third of the typing.
    """

    staged: pl.LazyFrame
    feed: CsvFeed
    reasons: tuple[pl.Expr, ...] = ()

    def _keys(self) -> list[str]:
        return [f"__t_{k}" for k in self.feed.key]

    def latest_rows(self) -> pl.DataFrame:
        """For every key that occurs more than once: its last ``_source_row``.

        The last row of a key is authoritative: if it is bad it is quarantined, and the
        earlier rows of that key are still superseded (never silently replaced by stale data).

        A hash group-by over millions of distinct keys costs ~0.5 GB in polars, so this first
        finds the repeated key *hashes* with a sort of one u64 column, then groups exactly
        (real key values, so hash collisions cannot merge keys) only the rows carrying them.
        """
        key_hash = pl.struct(self._keys()).hash().alias("__key_hash")
        with_key = self.staged.filter(
            pl.all_horizontal(pl.col(k).is_not_null() for k in self._keys())
        )
        hashes = with_key.select(key_hash).collect(engine="streaming").to_series().to_numpy()
        ordered = np.sort(hashes)
        repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
        candidates = with_key.filter(key_hash.is_in(pl.Series(repeated, dtype=pl.UInt64).implode()))
        return (
            candidates.group_by(self._keys())
            .agg(pl.col("_source_row").max().alias("__last_row"), pl.len().alias("__rows"))
            .filter(pl.col("__rows") > 1)
            .collect()
        )

    def with_reasons(self, rows: pl.LazyFrame) -> pl.LazyFrame:
        """``rows`` with ``__reason``: every check a row fails, ``; ``-separated (null: good)."""
        reason = pl.concat_str(self.reasons, separator="; ", ignore_nulls=True).replace("", None)
        return rows.with_columns(
            pl.when(pl.col("__bad")).then(reason).otherwise(None).alias("__reason")
        )

    def rejected(self, chunk: pl.DataFrame) -> pl.DataFrame:
        """Rows with a bad value or no key, in quarantine shape."""
        return self._as_quarantine(self.with_reasons(chunk.lazy().filter(pl.col("__bad"))))

    def superseded(self, chunk: pl.DataFrame, latest: pl.DataFrame) -> pl.DataFrame:
        """Good rows replaced by a later row with the same key, in quarantine shape."""
        later = self._judge(chunk, latest).filter(~pl.col("__bad") & pl.col("__superseded"))
        return self._as_quarantine(
            later.with_columns(
                pl.format(
                    "duplicate key in batch: superseded by row {}", pl.col("__last_row")
                ).alias("__reason")
            )
        )

    def clean(self, chunk: pl.DataFrame, latest: pl.DataFrame) -> pl.DataFrame:
        """The good, latest rows of a chunk, typed, with the ingestion metadata."""
        return (
            self._judge(chunk, latest)
            .filter(~pl.col("__bad") & ~pl.col("__superseded"))
            .select(*[pl.col(f"__t_{c}").alias(c) for c in self.feed.columns], *METADATA_COLUMNS)
            .collect()
        )

    def _judge(self, chunk: pl.DataFrame, latest: pl.DataFrame) -> pl.LazyFrame:
        return (
            chunk.lazy()
            .join(latest.lazy(), on=self._keys(), how="left", nulls_equal=False)
            .with_columns(
                (
                    pl.col("__last_row").is_not_null()
                    & (pl.col("_source_row") < pl.col("__last_row"))
                ).alias("__superseded")
            )
        )

    def _as_quarantine(self, rows: pl.LazyFrame) -> pl.DataFrame:
        return rows.select(
            pl.col("_batch_id"),
            pl.col("_ingested_at").cast(QUARANTINE_SCHEMA["_ingested_at"]),
            pl.col("_source"),
            pl.col("_source_row").cast(pl.Int64),
            pl.lit("type").alias("stage"),
            pl.col("__reason").alias("reason"),
            pl.struct([pl.col(c) for c in self.feed.columns]).struct.json_encode().alias("record"),
        ).collect()


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
            return col.str.to_date(spec.format or "%Y-%m-%d", strict=False)
        case "datetime":
            parsed = col.str.to_datetime(spec.format, strict=False, time_unit="us")
            return parsed.dt.replace_time_zone("UTC") if spec.format else _as_utc(col)
        case _:
            return col.cast(polars_type(spec), strict=False)


_ISO_OFFSET = "%Y-%m-%dT%H:%M:%S%.f%#z"  # %#z: Z, +hh, +hhmm or +hh:mm


def _as_utc(col: pl.Expr) -> pl.Expr:
    # ISO-8601 with "T" and an offset, the common form; :func:`_as_utc_otherwise` reads the
    # rest. Two steps, so that the common parse runs once (a parse costs per non-null value:
    # the second step's parses run over nulls almost for free).
    return col.str.to_datetime(_ISO_OFFSET, strict=False, time_unit="us").dt.convert_time_zone(
        "UTC"
    )


def _as_utc_otherwise(col: pl.Expr, *, parsed: pl.Expr) -> pl.Expr:
    # The values ``_as_utc`` left null: a space between date and time, or no offset at all
    # (PostgreSQL writes "+00", Python "+00:00"; naive timestamps are taken as UTC).
    rest = pl.when(parsed.is_null()).then(col).str.replace(" ", "T", literal=True, n=1)
    with_offset = rest.str.to_datetime(_ISO_OFFSET, strict=False, time_unit="us")
    naive = rest.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    return pl.coalesce(
        parsed, with_offset.dt.convert_time_zone("UTC"), naive.dt.replace_time_zone("UTC")
    )


def type_feed_rows(raw: pl.LazyFrame, *, feed: CsvFeed) -> TypedRows:
    """Trim and type the declared columns; a bad value or a missing key gives the row a reason
    (see :class:`TypedRows` for duplicates)."""
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
    checks: list[tuple[pl.Expr, pl.Expr]] = []
    checks += [
        (
            pl.col(c).is_not_null() & pl.col(f"__t_{c}").is_null(),
            pl.format("column {}: cannot parse {} as {}", pl.lit(c), pl.col(c), pl.lit(s.type)),
        )
        for c, s in feed.columns.items()
    ]
    checks += [(pl.col(k).is_null(), pl.lit(f"missing key column {k}")) for k in feed.key]
    checks += [
        check
        for c, s in feed.columns.items()
        for check in constraint_checks(
            pl.col(f"__t_{c}"), name=c, spec=s, kind=s.type, text=pl.col(c)
        )
    ]
    header = [c for c in feed.columns if c in present]
    checks.append(  # a header line repeated mid-file (concatenated files) is not a record
        (
            pl.all_horizontal(pl.col(c) == pl.lit(c) for c in header).fill_null(False),
            pl.lit("repeated header line"),
        )
    )
    guessed = [c for c, s in feed.columns.items() if s.type == "datetime" and not s.format]
    staged = (
        trimmed.with_columns(typed_exprs)
        .with_columns(
            _as_utc_otherwise(pl.col(c), parsed=pl.col(f"__t_{c}")).alias(f"__t_{c}")
            for c in guessed
        )
        .with_columns(pl.any_horizontal(failed for failed, _ in checks).alias("__bad"))
    )
    reasons = tuple(pl.when(failed).then(reason) for failed, reason in checks)
    return TypedRows(staged=staged, feed=feed, reasons=reasons)
