"""A CLEAN build streams: once committed, a chunk's rows are freed, even though Kedro's
generator plumbing (``itertools.tee``) keeps the yielded items alive."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import polars as pl
from kedro.io import DataCatalog
from kedro.pipeline import Node, Pipeline
from kedro.runner import SequentialRunner

from pitwall.datasets import CleanTableDataset, QuarantineTableDataset
from pitwall.lake.commit import CleanChunk, QuarantineRows
from pitwall.lake.delta import read_table
from pitwall.lake.ingest import QUARANTINE_SCHEMA
from pitwall.lake.layout import Lake

CHUNKS, ROWS = 6, 1_000


def test_committed_chunks_are_freed(lake: Lake) -> None:
    yielded: list[tuple[QuarantineRows, CleanChunk]] = []

    def split() -> Iterator[tuple[QuarantineRows, CleanChunk]]:
        for n in range(CHUNKS):
            ids = pl.int_range(n * ROWS, (n + 1) * ROWS, eager=True).alias("id")
            chunk = CleanChunk(
                "laps", pl.DataFrame([ids]), ("id",), quarantine_table="laps", pipeline="t"
            )
            if n == CHUNKS - 1:  # the last chunk commits the merge (no batches to close here)
                chunk = replace(chunk.closing(merged={"x": 1}, after={"x": 0}), closes=False)
            rejected = QuarantineRows(pl.DataFrame(schema=QUARANTINE_SCHEMA), ("b1",), n == 0)
            yielded.append((rejected, chunk))
            yield rejected, chunk

    catalog = DataCatalog(
        {
            "quarantine.laps": QuarantineTableDataset(table="laps", lake_uri=lake.root),
            "clean.laps": CleanTableDataset(table="laps", lake_uri=lake.root),
        }
    )
    node = Node(split, None, ["quarantine.laps", "clean.laps"], name="build_clean_laps")
    SequentialRunner().run(Pipeline([node]), catalog)

    assert read_table(lake.table_uri("clean", "laps")).height == CHUNKS * ROWS  # all landed
    assert len(yielded) == CHUNKS
    assert all(chunk.rows.is_empty() and rows.rows.is_empty() for rows, chunk in yielded)
    assert yielded[0][1].rows.columns == ["id"]  # freed, not replaced by another shape
