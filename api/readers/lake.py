"""DuckDB over the lake: one in-memory database holding a view (or a copy) of every table.

``pitwall.sql`` registers each Delta table's current snapshot as a view. A 100-row page read
through such a view costs ~10 ms here, because DuckDB reads whole Parquet column chunks (the
Delta writer puts up to a million rows in one row group); the same page from a DuckDB table in
memory costs around 1 ms. So tables up to ``cache_max_rows`` rows are copied into memory
(a snapshot-consistent serving cache; 0 turns it off) and bigger ones stay views.

``refresh`` checks the lake's Delta versions and, when anything changed, builds a new
:class:`LakeSnapshot` and swaps it in: a request works on the snapshot it started with (its
cursor keeps that database alive), new requests see the new one.

Each snapshot's database is sandboxed (:func:`pitwall.sql.sandbox`) once built: it reads the
snapshot's Parquet files and nothing else, within the API's memory, thread and time limits.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import duckdb

from pitwall.lake.delta import open_table
from pitwall.lake.layout import LAYERS, Lake
from pitwall.lake.timetravel import AsOf
from pitwall.queries.frames import fetch_frame, quote_ident, table_ref
from pitwall.queries.schema import Column, read_columns
from pitwall.sql import SandboxLimits, lake_paths, register_lake_views, sandbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServedTable:
    """A table as served: its Delta version, rows, and whether it is held in memory."""

    layer: str
    name: str
    version: int
    rows: int
    cached: bool
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class LakeSnapshot:
    """One consistent state of the lake: a DuckDB database and what it serves."""

    con: duckdb.DuckDBPyConnection
    tables: tuple[ServedTable, ...]
    _by_name: dict[tuple[str, str], ServedTable] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {(t.layer, t.name): t for t in self.tables})

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor (own connection to this database) for one request."""
        return self.con.cursor()

    def columns(self, layer: str, table: str) -> list[Column] | None:
        """The columns of a served table, without a catalog query (None if not served)."""
        served = self._by_name.get((layer, table))
        return list(served.columns) if served else None


class LakeReader:
    """The current :class:`LakeSnapshot` of a lake (see module docstring)."""

    def __init__(
        self, lake: Lake, *, cache_max_rows: int = 0, limits: SandboxLimits | None = None
    ) -> None:
        self.lake = lake
        self.cache_max_rows = cache_max_rows
        self.limits = limits or SandboxLimits()
        self._lock = threading.Lock()
        self._snapshot = self._build()

    def snapshot(self) -> LakeSnapshot:
        return self._snapshot

    @property
    def tables(self) -> tuple[ServedTable, ...]:
        return self._snapshot.tables

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self._snapshot.cursor()

    def refresh(self, *, force: bool = False) -> bool:
        """Rebuild when the lake's tables or versions changed; True if it did."""
        with self._lock:
            served = {(t.layer, t.name): t.version for t in self._snapshot.tables}
            if not force and self._lake_versions() == served:
                return False
            started = time.perf_counter()
            self._snapshot = self._build()
            log.info(
                "lake catalog rebuilt: %d tables in %.2fs",
                len(self._snapshot.tables),
                time.perf_counter() - started,
            )
            return True

    def close(self) -> None:
        self._snapshot.con.close()

    def _lake_versions(self) -> dict[tuple[str, str], int]:
        versions = {}
        for layer in LAYERS:
            for name in self.lake.list_tables(layer):
                uri = self.lake.table_uri(layer, name)
                table = open_table(uri, storage_options=self.lake.storage_options)
                if table is not None:
                    versions[(layer, name)] = table.version()
        return versions

    def connect_as_of(self, layer: str, name: str, *, as_of: AsOf) -> duckdb.DuckDBPyConnection:
        """A sandboxed database serving one table as of a version or a time (not cached).

        Raises:
            VersionUnavailableError: no such version, or vacuumed away.
        """
        con = self._connect()
        try:
            registered = register_lake_views(
                con, lake=self.lake, names={f"{layer}.{name}"}, as_of=as_of
            )
        except BaseException:
            con.close()
            raise
        return sandbox(con, allowed_paths=lake_paths(registered), limits=self.limits)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        limits = self.limits
        con = duckdb.connect(
            config={"threads": limits.threads, "memory_limit": limits.memory_limit}
        )
        con.execute("SET GLOBAL TimeZone = 'UTC'")
        return con

    def _build(self) -> LakeSnapshot:
        limits = self.limits
        con = self._connect()
        served = []
        registered = register_lake_views(con, lake=self.lake)
        for reg in registered:
            view = table_ref(reg.layer, reg.name)
            rows = int(fetch_frame(con, f"SELECT count(*) FROM {view}").item())  # nosec B608
            cached = 0 < rows <= self.cache_max_rows
            if cached:
                copy = table_ref(reg.layer, f"__copy_{reg.name}")
                con.execute(f"CREATE TABLE {copy} AS SELECT * FROM {view}")  # nosec B608
                con.execute(f"DROP VIEW {view}")
                con.execute(f"ALTER TABLE {copy} RENAME TO {quote_ident(reg.name)}")
            columns = tuple(read_columns(con, layer=reg.layer, table=reg.name))
            served.append(ServedTable(reg.layer, reg.name, reg.version, rows, cached, columns))
        sandbox(con, allowed_paths=lake_paths(registered), limits=limits)
        return LakeSnapshot(con, tuple(served))
