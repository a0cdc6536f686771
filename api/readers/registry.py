"""The API's readers, chosen by settings: the lake always, the mirror for CLEAN if configured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from api.readers.lake import LakeReader
from api.settings import ApiSettings, Backend
from pitwall.lake.layout import get_lake
from pitwall.queries.frames import Connection
from pitwall.queries.schema import Column


class Snapshot(Protocol):
    """A consistent view of the data: cursors, and table columns when known without a query."""

    def cursor(self) -> Connection: ...

    def columns(self, layer: str, table: str) -> list[Column] | None: ...


class CleanReader(Protocol):
    def snapshot(self) -> Snapshot: ...

    def close(self) -> None: ...


@dataclass
class Readers:
    """``lake`` reads every layer; ``clean`` reads CLEAN tables (the lake or the mirror)."""

    backend: Backend
    lake: LakeReader
    clean: CleanReader

    def for_layer(self, layer: str) -> CleanReader:
        return self.clean if layer == "clean" else self.lake

    def close(self) -> None:
        if self.clean is not self.lake:
            self.clean.close()
        self.lake.close()


def open_readers(settings: ApiSettings) -> Readers:
    """Open the lake catalog (and the mirror adapter when ``backend="postgres"``)."""
    lake = LakeReader(
        get_lake(settings.lake_uri),
        cache_max_rows=settings.cache_max_rows,
        limits=settings.duckdb_limits(),
    )
    if settings.backend == "postgres":
        from api.readers.postgres import PostgresReader

        return Readers("postgres", lake, PostgresReader.from_settings(settings))
    return Readers("duckdb", lake, lake)
