"""The mirror: faithful copies, skip / upsert / swap, new columns, keys, failures."""

from __future__ import annotations

import polars as pl
import psycopg
import pytest
from deltalake import DeltaTable

from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake
from pitwall.postgres.mirror import MirrorError, mirror_lake
from pitwall.postgres.options import MirrorOptions
from tests.postgres.fixtures import PgDatabase
from tests.postgres.helpers import lake_rows, laps, mirrored_version, pg_rows

KEYED = MirrorOptions(keys={"laps": ["lap_id"]})


def _assert_mirrored(pg: PgDatabase, lake: Lake, table: str, *, schema: str = "clean") -> None:
    assert pg_rows(pg.loader, schema, table, order_by="lap_id") == lake_rows(
        lake, schema, table, order_by="lap_id"
    )
    version = DeltaTable(lake.table_uri(schema, table)).version()
    assert mirrored_version(pg.loader, schema, table) == version


def test_first_run_swaps_in_every_clean_table_then_skips(pg: PgDatabase, lake: Lake) -> None:
    write_table(laps(range(10)), lake.table_uri("clean", "laps"), mode="merge", keys=["lap_id"])
    write_table(laps(range(3)), lake.table_uri("clean", "pits"))

    first = mirror_lake(lake, options=KEYED, dsn=pg.loader)
    again = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert [(s.table, s.action, s.rows) for s in first] == [
        ("laps", "swap", 10),
        ("pits", "swap", 3),
    ]
    assert [(s.table, s.action, s.changed_rows) for s in again] == [
        ("laps", "skipped", 0),
        ("pits", "skipped", 0),
    ]
    _assert_mirrored(pg, lake, "laps")
    _assert_mirrored(pg, lake, "pits")
    with psycopg.connect(pg.admin) as conn:
        primary_key = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'clean.laps'::regclass "
            "AND i.indisprimary"
        ).fetchall()
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'laps'").fetchone()
    assert primary_key == [("lap_id",)]
    assert owner == ("pitwall_owner",)


def test_small_append_is_upserted(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(laps(range(100)), uri)
    mirror_lake(lake, options=KEYED, dsn=pg.loader)
    write_table(laps(range(100, 105)), uri)

    (summary,) = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert (summary.action, summary.changed_rows, summary.rows) == ("upsert", 5, 105)
    assert (summary.previous_version, summary.delta_version) == (0, 1)
    _assert_mirrored(pg, lake, "laps")


def test_append_without_key_is_inserted(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(laps(range(50)), uri)
    mirror_lake(lake, dsn=pg.loader)
    write_table(laps(range(50, 52)), uri)

    (summary,) = mirror_lake(lake, dsn=pg.loader)

    assert (summary.action, summary.rows) == ("upsert", 52)
    _assert_mirrored(pg, lake, "laps")


def test_updates_and_deletes_are_applied_by_upsert(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    for start in range(0, 40, 10):  # four files
        write_table(laps(range(start, start + 10)), uri)
    options = MirrorOptions(keys={"laps": ["lap_id"]}, swap_fraction=1.0)
    mirror_lake(lake, options=options, dsn=pg.loader)
    write_table(laps([5, 6, 99], ms=1), uri, mode="merge", keys=["lap_id"])
    DeltaTable(uri).delete("lap_id = 33")

    (summary,) = mirror_lake(lake, options=options, dsn=pg.loader)

    assert summary.action == "upsert"
    assert summary.rows == 40  # 40 + 99 - 33
    _assert_mirrored(pg, lake, "laps")
    changed = {r[0]: r[2] for r in pg_rows(pg.loader, "clean", "laps", order_by="lap_id")}
    assert changed[5] == 6 and changed[99] == 100 and 33 not in changed


def test_large_change_is_swapped(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(laps(range(20)), uri)
    mirror_lake(lake, options=KEYED, dsn=pg.loader)
    write_table(laps(range(20), ms=1), uri, mode="overwrite")

    (summary,) = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert summary.action == "swap"
    assert summary.reason == "change of at least 20 rows (of 40 rewritten) > 20% of 20"
    _assert_mirrored(pg, lake, "laps")


def test_rows_removed_from_a_table_without_key_swap(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(laps(range(20)), uri)
    mirror_lake(lake, dsn=pg.loader)
    DeltaTable(uri).delete("lap_id = 3")

    (summary,) = mirror_lake(lake, options=MirrorOptions(swap_fraction=1.0), dsn=pg.loader)

    assert (summary.action, summary.reason) == (
        "swap",
        "rows removed from a table without a natural key",
    )
    _assert_mirrored(pg, lake, "laps")


def test_new_delta_column_appears_in_postgres(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(laps(range(30)), uri)
    mirror_lake(lake, options=KEYED, dsn=pg.loader)
    write_table(laps([30]).with_columns(pl.lit("soft").alias("tyre")), uri)

    (summary,) = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert summary.action == "upsert"
    _assert_mirrored(pg, lake, "laps")
    with psycopg.connect(pg.reader) as conn:
        tyres = conn.execute("SELECT tyre FROM clean.laps ORDER BY lap_id DESC LIMIT 2").fetchall()
    assert tyres == [("soft",), (None,)]


def test_changed_key_swaps_and_rebuilds_the_primary_key(pg: PgDatabase, lake: Lake) -> None:
    write_table(laps(range(5)), lake.table_uri("clean", "laps"))
    mirror_lake(lake, dsn=pg.loader)

    (summary,) = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert (summary.action, summary.reason) == ("swap", "natural key changed")
    with psycopg.connect(pg.loader) as conn, pytest.raises(psycopg.errors.UniqueViolation):
        conn.execute("INSERT INTO clean.laps (lap_id) VALUES (1)")


def test_raw_tables_listed_in_conf_go_to_schema_raw(pg: PgDatabase, lake: Lake) -> None:
    write_table(laps(range(4)), lake.table_uri("raw", "laps"))
    write_table(laps(range(2)), lake.table_uri("raw", "unlisted"))
    write_table(laps(range(3)), lake.table_uri("clean", "laps"))

    summaries = mirror_lake(lake, options=MirrorOptions(raw_tables=["laps"]), dsn=pg.loader)

    assert [(s.schema, s.table) for s in summaries] == [("clean", "laps"), ("raw", "laps")]
    _assert_mirrored(pg, lake, "laps", schema="raw")
    with psycopg.connect(pg.reader) as conn:
        assert conn.execute("SELECT count(*) FROM clean.laps").fetchone() == (3,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM raw.laps")


def test_duplicate_keys_fail_that_table_only(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(laps(range(5)), uri)
    write_table(laps(range(3)), lake.table_uri("clean", "pits"))
    options = MirrorOptions(keys={"laps": ["lap_id"]})
    mirror_lake(lake, options=options, dsn=pg.loader)
    write_table(laps(range(5)), uri, mode="overwrite")
    write_table(laps([1]), uri)  # lap 1 twice: not a natural key any more
    write_table(laps(range(3, 4)), lake.table_uri("clean", "pits"))

    with pytest.raises(MirrorError) as raised:
        mirror_lake(lake, options=options, dsn=pg.loader)

    by_table = {s.table: s for s in raised.value.summaries}
    assert by_table["laps"].action == "failed"
    assert "Key (lap_id)=(1) is duplicated" in by_table["laps"].reason
    assert (by_table["pits"].action, by_table["pits"].rows) == ("swap", 4)
    assert len(pg_rows(pg.loader, "clean", "laps", order_by="lap_id")) == 5
    assert mirrored_version(pg.loader, "clean", "laps") == 0


def test_missing_raw_table_is_reported_absent(pg: PgDatabase, lake: Lake) -> None:
    summaries = mirror_lake(lake, options=MirrorOptions(raw_tables=["nope"]), dsn=pg.loader)
    assert [(s.schema, s.table, s.action) for s in summaries] == [("raw", "nope", "absent")]
