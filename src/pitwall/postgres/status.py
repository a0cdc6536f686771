"""Mirror status: per table, the Delta version beside the mirrored one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import psycopg

from pitwall.lake.delta import open_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.postgres.mirror import list_targets
from pitwall.postgres.options import MirrorOptions
from pitwall.postgres.server import loader_dsn
from pitwall.postgres.state import read_states

Freshness = Literal["up to date", "behind", "not mirrored", "not in lake"]


@dataclass(frozen=True)
class TableStatus:
    """One table of the mirror."""

    schema: str
    table: str
    delta_version: int | None
    mirrored_version: int | None
    rows: int | None
    mirrored_at: datetime | None
    strategy: str | None
    freshness: Freshness


def read_status(
    lake: Lake | None = None,
    *,
    options: MirrorOptions | None = None,
    dsn: str | None = None,
) -> list[TableStatus]:
    """Status of every table to mirror and of every table mirrored before."""
    lake = lake or get_lake()
    options = options or MirrorOptions()
    with psycopg.connect(dsn or loader_dsn(), autocommit=True) as conn:
        states = {(s.schema_name, s.table_name): s for s in read_states(conn)}
    names = sorted({*list_targets(lake, options=options), *states})
    found: list[TableStatus] = []
    for schema, table in names:
        delta = open_table(lake.table_uri(schema, table), storage_options=lake.storage_options)
        version = None if delta is None else delta.version()
        state = states.get((schema, table))
        freshness: Freshness
        if version is None:
            freshness = "not in lake"
        elif state is None:
            freshness = "not mirrored"
        elif state.delta_version == version:
            freshness = "up to date"
        else:
            freshness = "behind"
        found.append(
            TableStatus(
                schema=schema,
                table=table,
                delta_version=version,
                mirrored_version=None if state is None else state.delta_version,
                rows=None if state is None else state.rows,
                mirrored_at=None if state is None else state.mirrored_at,
                strategy=None if state is None else state.strategy,
                freshness=freshness,
            )
        )
    return found
