"""Platform health: lake tables and their freshness, ingestion per source, quarantine, mirror."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

import polars as pl
import psycopg
from psycopg.conninfo import make_conninfo

from pitwall.dashboards.formatting import format_age
from pitwall.lake.layout import Lake, get_lake
from pitwall.postgres.options import MirrorOptions
from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.rows import RowFilter, read_rows
from pitwall.queries.schema import list_catalog_tables
from pitwall.queries.tables import read_table_list
from pitwall.settings import get_settings

log = logging.getLogger(__name__)

Freshness = Literal["fresh", "stale", "unknown"]
MirrorState = Literal["ok", "not configured", "unreachable"]

MIRROR_SCHEMA: dict[str, pl.DataType] = {
    "schema": pl.String(),
    "table": pl.String(),
    "delta_version": pl.Int64(),
    "mirrored_version": pl.Int64(),
    "rows": pl.Int64(),
    "mirrored_at": pl.Datetime("us", "UTC"),
    "strategy": pl.String(),
    "freshness": pl.String(),
}


def read_table_health(
    con: Connection,
    *,
    now: datetime,
    lake: Lake | None = None,
    stale_after: timedelta = timedelta(hours=24),
) -> pl.DataFrame:
    """Every lake table with rows, Delta version, last update, age and freshness.

    A table is ``fresh`` when its last Delta commit is younger than ``stale_after``.
    """
    tables = read_table_list(con, lake=lake)
    ages = [None if at is None else now - at for at in tables.get_column("updated_at")]
    freshness: list[Freshness] = [
        "unknown" if age is None else ("fresh" if age <= stale_after else "stale") for age in ages
    ]
    return tables.select(
        pl.concat_str(pl.col("layer"), pl.lit("."), pl.col("name")).alias("table"),
        "layer",
        "name",
        "rows",
        "version",
        "updated_at",
        pl.Series("age", [format_age(a) for a in ages], dtype=pl.String),
        pl.Series("freshness", freshness, dtype=pl.String),
        pl.col("columns").list.len().cast(pl.Int64).alias("columns"),
    )


def read_source_summary(con: Connection) -> pl.DataFrame:
    """Batches and rows in / landed / quarantined per pipeline and source of the ingestion log,
    with whether the counts reconcile (rows in = landed + quarantined)."""
    return fetch_frame(
        con,
        """
        SELECT pipeline, source, CAST(count(*) AS BIGINT) AS batches,
               CAST(sum(rows_in) AS BIGINT) AS rows_in,
               CAST(sum(rows_landed) AS BIGINT) AS rows_landed,
               CAST(sum(rows_quarantined) AS BIGINT) AS rows_quarantined,
               CAST(count(*) FILTER (WHERE status <> 'ok') AS BIGINT) AS batches_not_ok,
               max(finished_at) AS last_finished_at,
               coalesce(sum(rows_in) = sum(rows_landed) + sum(rows_quarantined), false)
                   AS reconciles
        FROM raw.ingestion_log
        GROUP BY pipeline, source
        ORDER BY pipeline, source
        """,
    )


def _short(column: str) -> pl.Expr:
    """A landing path's last two segments (the file and its folder)."""
    return pl.col(column).str.split("/").list.slice(-2).list.join("/")


def tables_table(health: pl.DataFrame) -> pl.DataFrame:
    """The lake tables for display: name, rows, Delta version, age and freshness."""
    return health.select("table", "rows", "version", "age", "freshness")


def sources_table(summary: pl.DataFrame) -> pl.DataFrame:
    """The ingestion summary for display (short source names)."""
    return summary.select(
        "pipeline",
        _short("source").alias("source"),
        "batches",
        pl.col("rows_in").alias("in"),
        pl.col("rows_landed").alias("landed"),
        pl.col("rows_quarantined").alias("quarantined"),
        pl.col("reconciles").replace_strict({True: "yes", False: "NO"}, return_dtype=pl.String),
    )


def batches_table(batches: pl.DataFrame) -> pl.DataFrame:
    """Ingestion log batches for display."""
    return batches.select(
        pl.col("finished_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("finished"),
        "pipeline",
        _short("source").alias("source"),
        "status",
        pl.col("rows_in").alias("in"),
        pl.col("rows_landed").alias("landed"),
        pl.col("rows_quarantined").alias("quarantined"),
    )


def quarantined_table(rows: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows for display: where they came from and why."""
    if rows.is_empty():
        return rows
    return rows.select(
        _short("_source").alias("source"),
        pl.col("_source_row").alias("row"),
        "stage",
        "reason",
    )


def mirror_table(tables: pl.DataFrame) -> pl.DataFrame:
    """The mirror status for display: each table's Delta and mirrored versions and freshness."""
    return tables.select(
        pl.concat_str("schema", pl.lit("."), "table").alias("table"),
        pl.col("delta_version").alias("delta"),
        pl.col("mirrored_version").alias("mirrored"),
        "rows",
        pl.col("mirrored_at").dt.strftime("%Y-%m-%d %H:%M:%S").alias("at"),
        "freshness",
    )


def list_quarantine_tables(con: Connection) -> list[str]:
    """Names of the quarantine tables in the catalog."""
    return [name for layer, name in list_catalog_tables(con) if layer == "quarantine"]


def read_quarantine_page(
    con: Connection, table: str, *, reason: str | None = None, limit: int = 200
) -> pl.DataFrame:
    """The first ``limit`` quarantined rows of ``quarantine.<table>``, optionally of one reason."""
    filters = [RowFilter("reason", "eq", (reason,))] if reason else []
    return read_rows(con, layer="quarantine", table=table, filters=filters, limit=limit).rows


@dataclass(frozen=True)
class MirrorStatus:
    """The PostgreSQL mirror as the dashboard shows it."""

    state: MirrorState
    message: str
    tables: pl.DataFrame

    @property
    def callout_kind(self) -> Literal["success", "info", "warn"]:
        """How a dashboard should flag it."""
        kinds: dict[str, Literal["success", "info", "warn"]] = {
            "ok": "success",
            "not configured": "info",
        }
        return kinds.get(self.state, "warn")


def read_mirror_status(
    lake: Lake | None = None, *, dsn: str | None = None, connect_timeout_s: int = 5
) -> MirrorStatus:
    """Per table, the lake's Delta version beside the mirrored one.

    The server is ``dsn``, else ``PITWALL_PG_DSN``, else the embedded server when
    ``<home>/data/pg`` exists; with none of them the mirror is ``not configured``. A server that
    cannot be reached (or read) gives ``unreachable`` with the reason: never an exception.
    """
    empty = pl.DataFrame(schema=MIRROR_SCHEMA)
    settings = get_settings()
    embedded = settings.home / "data" / "pg" / "PG_VERSION"
    if dsn is None and not settings.pg_dsn and not embedded.is_file():
        return MirrorStatus(
            "not configured",
            "Mirror not configured: set PITWALL_PG_DSN or run `pitwall mirror` "
            "(embedded PostgreSQL under data/pg).",
            empty,
        )
    from pitwall.postgres import loader_dsn, read_status

    try:
        target = dsn or loader_dsn(bootstrap=False)
        statuses = read_status(
            lake or get_lake(),
            options=_mirror_options(),
            dsn=make_conninfo(target, connect_timeout=connect_timeout_s),
        )
    except (psycopg.Error, OSError, RuntimeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        log.warning("mirror status unavailable: %s", reason)
        return MirrorStatus("unreachable", f"Mirror unreachable: {reason}", empty)
    frame = pl.DataFrame([asdict(s) for s in statuses], schema=MIRROR_SCHEMA)
    behind = frame.filter(pl.col("freshness") != "up to date").height
    message = f"{frame.height} table(s) in the mirror scope, {behind} not up to date."
    return MirrorStatus("ok", message, frame)


def _mirror_options() -> MirrorOptions:
    """The project's mirror options; the defaults when the home has no Kedro config."""
    from kedro.config import MissingConfigException

    from pitwall.postgres import read_mirror_options

    try:
        return read_mirror_options()
    except MissingConfigException:
        return MirrorOptions()
