"""Appends of Parquet files encoded in parallel: one commit, exact stats, schema evolution,
nothing committed or left behind when the stream fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable, Transaction

from pitwall.lake.delta import open_table, read_table
from pitwall.lake.files_append import ParquetLayout, commit_files, write_files, write_files_append
from pitwall.lake.layout import Lake

CONSTANT = pa.dictionary(pa.int32(), pa.string())
LAYOUT = ParquetLayout(
    row_group_rows=1_000,
    file_row_groups=2,
    dictionary_columns=("_batch_id",),
    statistics_columns=("_batch_id", "_source_row"),
)


def _schema(*extra: str) -> pa.Schema:
    fields = [pa.field("v", pa.string()), *[pa.field(c, pa.string()) for c in extra]]
    return pa.schema(
        [*fields, pa.field("_batch_id", CONSTANT), pa.field("_source_row", pa.int64())]
    )


def _batches(
    schema: pa.Schema, *, rows: int, batch: str, size: int = 1_000
) -> Iterator[pa.RecordBatch]:
    for start in range(0, rows, size):
        n = min(size, rows - start)
        numbers = list(range(start + 1, start + n + 1))
        columns = {name: [f"{name}{i}" for i in numbers] for name in schema.names[:-2]}
        constant = pa.DictionaryArray.from_arrays(pa.array([0] * n, pa.int32()), pa.array([batch]))
        arrays = [pa.array(values) for values in columns.values()]
        yield pa.RecordBatch.from_arrays([*arrays, constant, pa.array(numbers)], schema=schema)


def _add_actions(uri: str) -> list[dict[str, object]]:
    actions = pa.table(DeltaTable(uri).get_add_actions(flatten=False))
    return actions.select(["path", "num_records"]).to_pylist()


def test_files_are_committed_once_with_their_transaction_and_exact_stats(lake: Lake) -> None:
    uri = lake.table_uri("raw", "t")
    schema = _schema()
    rows = write_files_append(
        _batches(schema, rows=9_500, batch="b1"),
        uri,
        schema=schema,
        layout=LAYOUT,
        transactions=[Transaction("pitwall.raw", 1)],
    )
    assert rows == 9_500
    table = DeltaTable(uri)
    assert table.version() == 1  # version 0 created the table empty (see ensure_table)
    assert table.transaction_version("pitwall.raw") == 1
    assert sorted(a["num_records"] for a in _add_actions(uri)) == [
        1_500,
        2_000,
        2_000,
        2_000,
        2_000,
    ]
    log = (Path(uri) / "_delta_log" / "00000000000000000001.json").read_text().splitlines()
    stats = [json.loads(json.loads(line)["add"]["stats"]) for line in log if '"add"' in line]
    ranges = sorted((s["minValues"]["_source_row"], s["maxValues"]["_source_row"]) for s in stats)
    assert ranges == [(1, 2_000), (2_001, 4_000), (4_001, 6_000), (6_001, 8_000), (8_001, 9_500)]
    assert {s["minValues"]["_batch_id"] for s in stats} == {"b1"}
    assert {s["nullCount"]["_source_row"] for s in stats} == {0}

    back = read_table(uri).sort("_source_row")
    assert back.schema["_batch_id"] == pl.String  # the dictionary is a plain string column
    assert back.get_column("v").to_list() == [f"v{i}" for i in range(1, 9_501)]
    assert back.get_column("_batch_id").unique().to_list() == ["b1"]


def test_a_stream_with_a_new_column_evolves_the_table(lake: Lake) -> None:
    uri = lake.table_uri("raw", "t")
    old, new = _schema(), _schema("w")
    write_files_append(_batches(old, rows=10, batch="b1"), uri, schema=old, layout=LAYOUT)
    write_files_append(_batches(new, rows=5, batch="b2"), uri, schema=new, layout=LAYOUT)
    back = read_table(uri).sort("_batch_id", "_source_row")
    assert back.height == 15
    assert back.get_column("w").to_list() == [None] * 10 + [f"w{i}" for i in range(1, 6)]


def test_a_failing_stream_commits_nothing_and_leaves_no_files(lake: Lake) -> None:
    uri = lake.table_uri("raw", "t")
    schema = _schema()

    def failing() -> Iterator[pa.RecordBatch]:
        yield from _batches(schema, rows=7_000, batch="b1")  # three files written first
        raise OSError("the source went away")

    with pytest.raises(OSError, match="went away"):
        write_files_append(failing(), uri, schema=schema, layout=LAYOUT)
    assert open_table(uri) is None
    assert list(Path(uri).glob("*.parquet")) == []


def test_written_files_stay_invisible_until_committed(lake: Lake) -> None:
    uri = lake.table_uri("clean", "t")
    schema = _schema()
    write_files_append(_batches(schema, rows=10, batch="b1"), uri, schema=schema, layout=LAYOUT)
    staged = write_files(
        _batches(schema, rows=3_000, batch="b2"), uri, schema=schema, layout=LAYOUT
    )
    assert len(staged) == 2 and len(list(Path(uri).glob("*.parquet"))) == 3
    assert read_table(uri).height == 10 and DeltaTable(uri).transaction_version("t") is None

    assert commit_files(staged, uri, schema=schema, transactions=[Transaction("t", 2)]) == 3_000
    assert read_table(uri).height == 3_010 and DeltaTable(uri).transaction_version("t") == 2
