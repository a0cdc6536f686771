"""Delta IO: write modes, transactions committed with the data, the Kedro dataset."""

from __future__ import annotations

import polars as pl
import pytest
from deltalake import DeltaTable, Transaction
from kedro.io import DatasetError

from pitwall.datasets import DeltaTableDataset
from pitwall.lake.delta import read_table, write_table
from pitwall.lake.layout import Lake, get_lake


def test_append_merge_overwrite_and_schema_evolution(lake: Lake) -> None:
    uri = lake.table_uri("clean", "cars")
    write_table(pl.DataFrame({"id": [1, 2], "name": ["a", "b"]}), uri)
    write_table(
        pl.DataFrame({"id": [2, 3, 3], "name": ["B", "c", "C"], "hp": [500, 600, 610]}),
        uri,
        mode="merge",
        keys=["id"],
    )
    merged = read_table(uri).sort("id")
    assert merged.get_column("name").to_list() == ["a", "B", "C"]
    assert merged.get_column("hp").to_list() == [None, 500, 610]
    write_table(pl.DataFrame({"id": [9], "name": ["z"]}), uri, mode="overwrite")
    assert read_table(uri).to_dicts() == [{"id": 9, "name": "z"}]


def test_replace_swaps_one_batch_atomically(lake: Lake) -> None:
    uri = lake.table_uri("quarantine", "q")
    write_table(pl.DataFrame({"_batch_id": ["a", "b"], "v": [1, 2]}), uri)
    write_table(
        pl.DataFrame({"_batch_id": ["a", "a"], "v": [7, 8]}),
        uri,
        mode="replace",
        keys=["_batch_id"],
    )
    got = read_table(uri).sort("v")
    assert got.get_column("v").to_list() == [2, 7, 8]


def test_transactions_are_committed_with_the_rows_even_when_empty(lake: Lake) -> None:
    uri = lake.table_uri("raw", "r")
    write_table(pl.DataFrame({"v": [1]}), uri, transactions=[Transaction("app", 1)])
    write_table(pl.DataFrame(schema={"v": pl.Int64}), uri, transactions=[Transaction("app", 2)])
    assert DeltaTable(uri).transaction_version("app") == 2
    assert read_table(uri).height == 1


def test_a_merge_that_changes_nothing_commits_nothing(lake: Lake) -> None:
    uri = lake.table_uri("clean", "cars")
    write_table(pl.DataFrame({"id": [1, 2], "name": ["a", "b"]}), uri)
    same = pl.DataFrame({"id": [1, 2], "name": ["a", "b"]})
    assert write_table(same, uri, mode="merge", keys=["id"], compare=["name"]) is None
    assert DeltaTable(uri).version() == 0
    changed = pl.DataFrame({"id": [2], "name": ["B"]})
    assert write_table(changed, uri, mode="merge", keys=["id"], compare=["name"]) == 1
    assert read_table(uri).sort("id").get_column("name").to_list() == ["a", "B"]


def test_lazy_frames_stream_into_one_commit(lake: Lake) -> None:
    uri = lake.table_uri("raw", "big")
    version = write_table(pl.LazyFrame({"v": list(range(50_000))}), uri)
    assert version == 0
    assert read_table(uri).get_column("v").sum() == sum(range(50_000))


def test_dataset_roundtrip_exists_preview_and_metadata(lake: Lake) -> None:
    metadata = {"kedro-viz": {"layer": "clean"}}
    ds = DeltaTableDataset(
        layer="clean", table="laps", mode="merge", keys=["lap"], metadata=metadata
    )
    assert not ds.exists()
    with pytest.raises(DatasetError, match="does not exist"):
        ds.load()
    ds.save(pl.DataFrame({"lap": [1, 2], "t": [90.5, 91.0]}))
    ds.save(pl.DataFrame({"lap": [2], "t": [89.9]}))
    assert ds.exists()
    assert ds.load().sort("lap").get_column("t").to_list() == [90.5, 89.9]
    preview = ds.preview(nrows=1)
    assert preview["columns"] == ["lap", "t"] and len(preview["data"]) == 1
    assert ds.metadata == metadata and isinstance(ds.metadata, dict)
    assert ds._describe()["uri"].endswith("/clean/laps")
    lazy = DeltaTableDataset(layer="clean", table="laps", lazy=True).load()
    assert isinstance(lazy, pl.LazyFrame)


def test_merge_without_keys_is_refused(lake: Lake) -> None:
    with pytest.raises(DatasetError, match="needs 'keys'"):
        DeltaTableDataset(layer="clean", table="x", mode="merge")


def test_lake_uri_from_env_and_layer_validation(lake: Lake) -> None:
    assert get_lake().root == lake.root
    assert lake.table_uri("raw", "t").endswith("/raw/t")
    with pytest.raises(ValueError, match="unknown lake layer"):
        lake.table_uri("gold", "t")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="invalid table name"):
        lake.table_uri("raw", "../etc")
    s3 = get_lake("s3://bucket/prefix/")
    assert s3.is_remote and s3.table_uri("clean", "t") == "s3://bucket/prefix/clean/t"
