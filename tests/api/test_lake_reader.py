"""The API's lake reader: in-memory copies under a row budget, snapshot swap on refresh."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from api.readers import LakeReader
from pitwall.lake.delta import write_table
from pitwall.lake.layout import get_lake
from pitwall.queries import fetch_frame, read_rows


def ids(n: int, start: int = 0) -> pl.DataFrame:
    return pl.DataFrame({"id": list(range(start, start + n))})


def test_small_tables_are_copied_big_ones_stay_views(tmp_path: Path) -> None:
    lake = get_lake(str(tmp_path))
    write_table(ids(10), lake.table_uri("clean", "small"))
    write_table(ids(50), lake.table_uri("clean", "big"))
    reader = LakeReader(lake, cache_max_rows=20)
    served = {t.name: t for t in reader.tables}
    assert (served["small"].cached, served["big"].cached) == (True, False)
    kinds = dict(
        fetch_frame(
            reader.cursor(),
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_schema = 'clean'",
        ).iter_rows()
    )
    assert kinds == {"small": "BASE TABLE", "big": "VIEW"}
    assert [c.name for c in reader.snapshot().columns("clean", "small") or []] == ["id"]
    assert reader.snapshot().columns("clean", "nope") is None


def test_refresh_swaps_snapshots_and_keeps_inflight_reads(tmp_path: Path) -> None:
    lake = get_lake(str(tmp_path))
    uri = lake.table_uri("clean", "t")
    write_table(ids(5), uri)
    reader = LakeReader(lake, cache_max_rows=100)
    assert reader.refresh() is False  # nothing changed
    inflight = reader.cursor()
    write_table(ids(3, start=5), uri)  # version 1
    write_table(ids(1), lake.table_uri("raw", "new"))
    assert reader.refresh() is True
    assert {(t.name, t.version, t.rows) for t in reader.tables} == {("t", 1, 8), ("new", 0, 1)}
    assert read_rows(inflight, layer="clean", table="t", limit=100).rows.height == 5
    assert read_rows(reader.cursor(), layer="clean", table="t", limit=100).rows.height == 8
    inflight.close()
