"""Table maintenance: compact small files, checkpoint, VACUUM, log retention; and lake status.

Safe while ingests run:

* OPTIMIZE (compaction, z-order) only rewrites files; a concurrent blind append never
  conflicts with it (delta-rs rebases the commit), and a concurrent MERGE that removed one of
  the compacted files makes one side fail with ``CommitFailedError``: ours is retried on the
  new snapshot with :func:`pitwall.lake.conflicts.retry_on_conflict`, theirs by the landing
  contract's own retries.
* VACUUM never goes below ``min_retention_hours``: files written by a writer that has not
  committed yet, and files of the snapshot a reader holds, are younger than that.
* The exactly-once state (``txn`` actions, ``_batch_id`` columns) survives all of it: a
  checkpoint carries the ``txn`` actions, compaction keeps every row and column.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pitwall.config import read_parameters
from pitwall.lake.conflicts import retry_on_conflict
from pitwall.lake.delta import open_table
from pitwall.lake.layout import LAYERS, Lake, Layer

log = logging.getLogger(__name__)

PARAMETERS_KEY = "maintain_lake"
MAINTENANCE_OPERATIONS = frozenset({"OPTIMIZE", "VACUUM START", "VACUUM END"})
LOG_RETENTION = "delta.logRetentionDuration"
FILE_RETENTION = "delta.deletedFileRetentionDuration"
MB = 1024 * 1024

STATUS_SCHEMA = pl.Schema(
    {  # type: ignore[arg-type]  # polars' stubs want a narrower mapping than dict literals
        "layer": pl.String,
        "table": pl.String,
        "version": pl.Int64,
        "files": pl.Int64,
        "size_bytes": pl.Int64,
        "small_files": pl.Int64,
        "last_maintenance": pl.Datetime("ms", "UTC"),
        "history_length": pl.Int64,
    }
)


class MaintenancePolicy(BaseModel):
    """How tables are maintained (``conf/base/parameters_maintain_lake.yml``).

    Attributes:
        retention_hours: VACUUM deletes files unreferenced for longer than this.
        min_retention_hours: the floor of ``retention_hours``: longer than any write (an
            Airflow task times out after an hour) and any read of an older snapshot.
        log_retention_days: log entries (hence time travel) kept at least this long.
        small_file_mb: files under this size count as small.
        target_file_mb: compaction writes files of about this size.
        min_small_files: compact a table once it holds this many small files.
        tables: ``layer.table`` names to maintain (None: every table).
        zorder: ``layer.table`` -> columns to z-order by when the table is compacted.
    """

    model_config = ConfigDict(extra="forbid")

    retention_hours: int = Field(default=168, ge=0)
    min_retention_hours: int = Field(default=2, ge=0)
    log_retention_days: int = Field(default=30, ge=1)
    small_file_mb: int = Field(default=16, ge=1)
    target_file_mb: int = Field(default=128, ge=1)
    min_small_files: int = Field(default=2, ge=2)
    tables: list[str] | None = None
    zorder: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _retention_floor(self) -> MaintenancePolicy:
        if self.retention_hours < self.min_retention_hours:
            raise ValueError(
                f"retention of {self.retention_hours} h is below the {self.min_retention_hours} h "
                "that running writers and readers need"
            )
        if self.log_retention_days * 24 < self.retention_hours:
            raise ValueError("log retention must be at least the file retention")
        return self

    def properties(self) -> dict[str, str]:
        """The retention table properties every maintained table gets."""
        return {
            LOG_RETENTION: f"interval {self.log_retention_days} days",
            FILE_RETENTION: f"interval {self.retention_hours} hours",
        }


def read_policy(**overrides: Any) -> MaintenancePolicy:
    """The configured policy, with ``overrides`` (None values ignored) on top."""
    params = dict(read_parameters(PARAMETERS_KEY))
    params.update({k: v for k, v in overrides.items() if v is not None})
    return MaintenancePolicy.model_validate(params)


@dataclass(frozen=True)
class MaintenanceReport:
    """What maintaining one table did (or would do, in a dry run)."""

    layer: str
    table: str
    version_before: int
    version_after: int
    files_before: int
    files_after: int
    files_compacted: int
    files_vacuumed: int
    properties_set: bool
    dry_run: bool


_REPORT_FIELDS = tuple(MaintenanceReport.__dataclass_fields__)


def reports_frame(reports: Sequence[MaintenanceReport]) -> pl.DataFrame:
    """Reports as a frame, one row per table."""
    rows = [asdict(r) for r in reports]
    return pl.DataFrame(rows) if rows else pl.DataFrame({f: [] for f in _REPORT_FIELDS})


def read_lake_status(
    lake: Lake, *, small_file_mb: int = 16, tables: Collection[str] | None = None
) -> pl.DataFrame:
    """One row per lake table: version, files, size, small files, last maintenance, history.

    Args:
        lake: the lake.
        small_file_mb: files under this size count as small.
        tables: only these ``layer.table`` names (None: all).
    """
    rows = []
    for layer in LAYERS:
        for name in lake.list_tables(layer):
            if tables is not None and f"{layer}.{name}" not in tables:
                continue
            table = open_table(lake.table_uri(layer, name), storage_options=lake.storage_options)
            if table is not None:
                rows.append(_table_status(table, layer=layer, name=name, small=small_file_mb * MB))
    return pl.DataFrame(rows, schema=STATUS_SCHEMA, orient="row")


def _table_status(table: DeltaTable, *, layer: str, name: str, small: int) -> dict[str, Any]:
    sizes = _file_sizes(table)
    history = table.history()
    stamps = [h["timestamp"] for h in history if h.get("operation") in MAINTENANCE_OPERATIONS]
    return {
        "layer": layer,
        "table": name,
        "version": table.version(),
        "files": len(sizes),
        "size_bytes": sum(sizes),
        "small_files": sum(1 for s in sizes if s < small),
        "last_maintenance": datetime.fromtimestamp(max(stamps) / 1000, UTC) if stamps else None,
        "history_length": len(history),
    }


def _file_sizes(table: DeltaTable) -> list[int]:
    return [int(s) for s in pa.table(table.get_add_actions(flatten=True))["size_bytes"].to_pylist()]


def plan_maintenance(status: pl.DataFrame, *, policy: MaintenancePolicy) -> pl.DataFrame:
    """The tables to maintain (``layer``, ``table``) and whether to compact each.

    Every selected table is checkpointed and vacuumed; it is compacted (z-ordered when the
    policy names columns for it) once it holds ``min_small_files`` small files.
    """
    selected = status.with_columns(
        (pl.col("layer") + "." + pl.col("table")).alias("qualified"),
    )
    if policy.tables is not None:
        selected = selected.filter(pl.col("qualified").is_in(policy.tables))
    zorder = {name: list(columns) for name, columns in policy.zorder.items()}
    return selected.select(
        "layer",
        "table",
        (pl.col("small_files") >= policy.min_small_files).alias("compact"),
        pl.col("qualified")
        .replace_strict(zorder, default=[], return_dtype=pl.List(pl.String))
        .alias("zorder"),
    )


def maintain_lake(
    lake: Lake, plan: pl.DataFrame, *, policy: MaintenancePolicy, dry_run: bool = False
) -> list[MaintenanceReport]:
    """Maintain every table of ``plan`` (see :func:`plan_maintenance`), one after the other."""
    reports = []
    for row in plan.iter_rows(named=True):
        uri = lake.table_uri(row["layer"], row["table"])
        report = maintain_table(
            uri,
            layer=row["layer"],
            policy=policy,
            compact=row["compact"],
            zorder=row["zorder"] or (),
            dry_run=dry_run,
            storage_options=lake.storage_options,
        )
        log.info("%s", report)
        reports.append(report)
    return reports


def maintain_table(
    uri: str,
    *,
    layer: Layer | str,
    policy: MaintenancePolicy,
    compact: bool = True,
    zorder: Collection[str] = (),
    dry_run: bool = False,
    storage_options: Mapping[str, str] | None = None,
) -> MaintenanceReport:
    """Set retention properties, compact, VACUUM, checkpoint and clean up one table's log."""
    options = dict(storage_options or {})
    table = DeltaTable(uri, storage_options=options)
    before, files_before = table.version(), len(table.file_uris())
    wanted = policy.properties()
    current = table.metadata().configuration
    properties_set = any(current.get(k) != v for k, v in wanted.items())
    compacted = 0
    if dry_run:
        vacuumed = _vacuum(table, policy=policy, dry_run=True)
        if compact:  # what OPTIMIZE would pick: the small files
            compacted = sum(1 for size in _file_sizes(table) if size < policy.small_file_mb * MB)
    else:
        for attempt in retry_on_conflict():
            with attempt:
                table = DeltaTable(uri, storage_options=options)
                current = table.metadata().configuration  # again: a retry may find them set
                if any(current.get(k) != v for k, v in wanted.items()):
                    table.alter.set_table_properties(wanted, raise_if_not_exists=False)
                if compact:
                    compacted = _compact(table, policy=policy, zorder=zorder)
        vacuumed = 0
        for attempt in retry_on_conflict():
            with attempt:
                vacuumed = _vacuum(DeltaTable(uri, storage_options=options), policy=policy)
        table = DeltaTable(uri, storage_options=options)
        table.create_checkpoint()
        table.cleanup_metadata()
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    return MaintenanceReport(
        layer=str(layer),
        table=name,
        version_before=before,
        version_after=table.version(),
        files_before=files_before,
        files_after=len(table.file_uris()),
        files_compacted=compacted,
        files_vacuumed=vacuumed,
        properties_set=properties_set,
        dry_run=dry_run,
    )


def _compact(table: DeltaTable, *, policy: MaintenancePolicy, zorder: Collection[str]) -> int:
    target = policy.target_file_mb * MB
    if zorder:
        metrics = table.optimize.z_order(list(zorder), target_size=target)
    else:
        metrics = table.optimize.compact(target_size=target)
    return int(metrics.get("numFilesRemoved", 0))


def _vacuum(table: DeltaTable, *, policy: MaintenancePolicy, dry_run: bool = False) -> int:
    # the floor is the policy's (validated above), not the table property's: the property is
    # set to the same retention in the same run, but a dry run must not need it set first
    deleted = table.vacuum(
        retention_hours=policy.retention_hours,
        dry_run=dry_run,
        enforce_retention_duration=False,
    )
    return len(deleted)
