"""Maintenance never breaks the mirror: after compaction, retention properties and a VACUUM
(which leaves the mirrored version's files gone), the next mirror run brings PostgreSQL to
the current version with the same rows, keyed or not."""

from __future__ import annotations

import polars as pl
import pytest
from deltalake import DeltaTable

from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake
from pitwall.lake.maintenance import (
    MaintenancePolicy,
    maintain_lake,
    plan_maintenance,
    read_lake_status,
)
from pitwall.postgres.mirror import mirror_lake
from pitwall.postgres.options import MirrorOptions
from tests.postgres.fixtures import PgDatabase
from tests.postgres.helpers import lake_rows, laps, mirrored_version, pg_rows

NO_FLOOR = MaintenancePolicy(retention_hours=0, min_retention_hours=0, log_retention_days=1)


@pytest.mark.parametrize("keys", [{"laps": ["lap_id"]}, {}])
def test_the_mirror_follows_a_maintained_table(
    pg: PgDatabase, lake: Lake, keys: dict[str, list[str]]
) -> None:
    options = MirrorOptions(keys=keys)
    uri = lake.table_uri("clean", "laps")
    for start in range(0, 50, 10):
        write_table(laps(range(start, start + 10)), uri)
    mirror_lake(lake, options=options, dsn=pg.loader)
    write_table(laps(range(50, 53)), uri)  # a change the mirror has not seen yet

    [report] = maintain_lake(
        lake, plan_maintenance(read_lake_status(lake), policy=NO_FLOOR), policy=NO_FLOOR
    )
    assert report.files_after == 1 and report.files_vacuumed == 6

    [summary] = mirror_lake(lake, options=options, dsn=pg.loader)
    assert summary.rows == 53
    version = DeltaTable(uri).version()
    assert mirrored_version(pg.loader, "clean", "laps") == version
    assert pg_rows(pg.loader, "clean", "laps", order_by="lap_id") == lake_rows(
        lake, "clean", "laps", order_by="lap_id"
    )
    assert pl.read_delta(uri)["lap_id"].is_unique().all()
    [again] = mirror_lake(lake, options=options, dsn=pg.loader)
    assert again.action == "skipped"
