"""A keyed table's upsert follows the rows that really changed, not the files delta-rs rewrote.

Each test checks, in the real PostgreSQL, which rows were written: a row's ``xmin`` (the
transaction that wrote its current version) moves only when the mirror upserts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import psycopg
import pytest
from deltalake import DeltaTable

from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake
from pitwall.postgres.mirror import mirror_lake
from pitwall.postgres.options import MirrorOptions
from tests.postgres.fixtures import PgDatabase
from tests.postgres.helpers import lake_rows, laps, mirrored_version, pg_rows

KEYED = MirrorOptions(keys={"laps": ["lap_id"]})


def _row_versions(dsn: str) -> dict[int, str]:
    """``xmin`` of each row of ``clean.laps``, by ``lap_id``."""
    with psycopg.connect(dsn) as conn:
        found = conn.execute("SELECT lap_id, xmin::text FROM clean.laps").fetchall()
    return {int(lap_id): str(xmin) for lap_id, xmin in found}


def _written(before: dict[int, str], after: dict[int, str]) -> set[int]:
    """Keys whose row was inserted or rewritten between two ``_row_versions``."""
    return {key for key, xmin in after.items() if before.get(key) != xmin}


def _files(uri: str) -> set[str]:
    return set(DeltaTable(uri).file_uris())


def _exact(value: Any) -> Any:
    """``value`` with floats as their ``repr``: NaN equals NaN, -0.0 differs from 0.0."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple):
        return [_exact(item) for item in value]
    return value


def _assert_mirrored(pg: PgDatabase, lake: Lake) -> None:
    """PostgreSQL holds the current Delta version's rows, float for float."""
    in_pg = pg_rows(pg.loader, "clean", "laps", order_by="lap_id")
    in_lake = lake_rows(lake, "clean", "laps", order_by="lap_id")
    assert _exact(in_pg) == _exact(in_lake)
    version = DeltaTable(lake.table_uri("clean", "laps")).version()
    assert mirrored_version(pg.loader, "clean", "laps") == version


def test_a_merge_rewriting_its_file_upserts_only_the_rows_it_changed(
    pg: PgDatabase, lake: Lake
) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(laps(range(100)), uri)
    mirror_lake(lake, options=KEYED, dsn=pg.loader)
    before, files = _row_versions(pg.loader), _files(uri)
    write_table(laps([5, 6, 7, 100], ms=1), uri, mode="merge", keys=["lap_id"])
    assert not files & _files(uri)  # copy-on-write: the only file was rewritten

    (summary,) = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert (summary.action, summary.changed_rows, summary.rows) == ("upsert", 4, 101)
    assert summary.reason == "change of 4 rows (of 201 rewritten) <= 20% of 101"
    assert _written(before, _row_versions(pg.loader)) == {5, 6, 7, 100}
    _assert_mirrored(pg, lake)


def test_changes_in_several_rewritten_files_are_all_upserted(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    for start in range(0, 100, 25):
        write_table(laps(range(start, start + 25)), uri)
    mirror_lake(lake, options=KEYED, dsn=pg.loader)
    before = _row_versions(pg.loader)
    write_table(laps([3], ms=1), uri, mode="merge", keys=["lap_id"])  # rewrites file 1
    write_table(laps([80, 81], ms=1), uri, mode="merge", keys=["lap_id"])  # rewrites file 4
    DeltaTable(uri).delete("lap_id = 30")  # rewrites file 2

    (summary,) = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert (summary.action, summary.changed_rows, summary.rows) == ("upsert", 4, 99)
    assert summary.reason == "change of 4 rows (of 149 rewritten) <= 20% of 99"
    after = _row_versions(pg.loader)
    assert (_written(before, after), set(before) - set(after)) == ({3, 80, 81}, {30})
    _assert_mirrored(pg, lake)


def _compact(uri: str) -> None:
    DeltaTable(uri).optimize.compact()


def _merge_the_same_rows(uri: str) -> None:
    write_table(laps(range(0, 50, 7)), uri, mode="merge", keys=["lap_id"])


@pytest.mark.parametrize("rewrite", [_compact, _merge_the_same_rows])
def test_a_rewrite_that_changes_no_row_writes_no_row(
    pg: PgDatabase, lake: Lake, rewrite: Callable[[str], None]
) -> None:
    uri = lake.table_uri("clean", "laps")
    for start in range(0, 50, 10):
        write_table(laps(range(start, start + 10)), uri)
    mirror_lake(lake, options=KEYED, dsn=pg.loader)
    before, files = _row_versions(pg.loader), _files(uri)
    rewrite(uri)
    assert _files(uri) != files

    (summary,) = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert (summary.action, summary.changed_rows, summary.rows) == ("upsert", 0, 50)
    assert summary.reason.startswith("change of 0 rows (of ")
    assert _row_versions(pg.loader) == before
    _assert_mirrored(pg, lake)


def test_rows_deleted_from_a_rewritten_file_are_deleted(pg: PgDatabase, lake: Lake) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(laps(range(20)), uri)
    mirror_lake(lake, options=KEYED, dsn=pg.loader)
    before = _row_versions(pg.loader)
    DeltaTable(uri).delete("lap_id IN (3, 4)")

    (summary,) = mirror_lake(lake, options=KEYED, dsn=pg.loader)

    assert (summary.action, summary.changed_rows, summary.rows) == ("upsert", 2, 18)
    assert summary.reason == "change of 2 rows (of 38 rewritten) <= 20% of 18"
    after = _row_versions(pg.loader)
    assert set(before) - set(after) == {3, 4}
    assert _written(before, after) == set()
    _assert_mirrored(pg, lake)


def _odd_values(changes: dict[int, dict[str, Any]]) -> pl.DataFrame:
    """Rows with NaN, null, -0.0 and list values; ``changes`` overrides some of them."""
    rows: list[dict[str, Any]] = [
        {"lap_id": 0, "speed": float("nan"), "sectors": [float("nan"), None], "note": None},
        {"lap_id": 1, "speed": None, "sectors": None, "note": "x"},
        {"lap_id": 2, "speed": -0.0, "sectors": [], "note": ""},
        {"lap_id": 3, "speed": 0.0, "sectors": [-0.0, 1.5], "note": "y"},
        {"lap_id": 4, "speed": 1.5, "sectors": [None], "note": None},
        {"lap_id": 5, "speed": 2.5, "sectors": [0.0], "note": "z"},
    ]
    rows = [{**row, **changes.get(row["lap_id"], {})} for row in rows]
    schema = {
        "lap_id": pl.Int64,
        "speed": pl.Float64,
        "sectors": pl.List(pl.Float64),
        "note": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def test_nan_null_and_list_values_that_did_not_change_are_not_upserted(
    pg: PgDatabase, lake: Lake
) -> None:
    uri = lake.table_uri("clean", "laps")
    write_table(_odd_values({}), uri)
    options = MirrorOptions(keys={"laps": ["lap_id"]}, swap_fraction=1.0)
    mirror_lake(lake, options=options, dsn=pg.loader)
    before = _row_versions(pg.loader)
    # every row is rewritten; only lap 4 changes, and lap 5's list gets a zero of another sign
    changed = _odd_values({4: {"sectors": [None, 1.0]}, 5: {"sectors": [-0.0]}})
    write_table(changed, uri, mode="merge", keys=["lap_id"])

    (summary,) = mirror_lake(lake, options=options, dsn=pg.loader)

    assert (summary.action, summary.changed_rows) == ("upsert", 2)
    assert _written(before, _row_versions(pg.loader)) == {4, 5}
    _assert_mirrored(pg, lake)
