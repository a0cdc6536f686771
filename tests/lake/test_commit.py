"""The landing contract: RAW and CLEAN commits are exactly-once, whatever runs meanwhile."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import polars as pl

from pitwall.lake.commit import CleanChunk, CleanWriter, LandedBatch, commit_clean, commit_raw
from pitwall.lake.delta import open_table, read_table
from pitwall.lake.ingest import utc_now, with_ingestion_metadata
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log, write_quarantine
from pitwall.lake.txn import raw_seq, read_batch_ids, read_merged_seqs, scan_unmerged


def _batch(batch_id: str, values: list[int], *, table: str = "things") -> LandedBatch:
    rows = with_ingestion_metadata(
        pl.LazyFrame({"k": [str(v) for v in values], "v": [str(v * 10) for v in values]}),
        batch_id=batch_id,
        source=f"{batch_id}.csv",
        ingested_at=utc_now(),
    ).collect()
    return LandedBatch(table, batch_id, f"{batch_id}.csv", "test", utc_now(), rows=rows)


def _clean(rows: pl.DataFrame, *, merged: dict[str, int], after: dict[str, int]) -> CleanChunk:
    typed = rows.select(pl.col("k"), pl.col("v").cast(pl.Int64), "_batch_id", "_ingested_at")
    return CleanChunk(
        "things",
        typed,
        ("k",),
        quarantine_table="things",
        pipeline="test",
        merged=merged,
        after=after,
    )


def test_a_batch_lands_once_and_gets_the_next_seq(lake: Lake) -> None:
    first = commit_raw(_batch("b1", [1, 2, 3]), lake=lake)
    again = commit_raw(_batch("b1", [1, 2, 3]), lake=lake)
    second = commit_raw(_batch("b2", [4]), lake=lake)
    assert first is not None and first.status == "landed_raw" and first.batch_seq == 1
    assert again is None
    assert second is not None and second.batch_seq == 2
    raw = read_table(lake.table_uri("raw", "things"))
    assert raw.height == 4
    assert raw.group_by("_batch_id").agg(pl.col("_batch_seq").unique()).sort(
        "_batch_id"
    ).rows() == [
        ("b1", [1]),
        ("b2", [2]),
    ]
    table = open_table(lake.table_uri("raw", "things"))
    assert raw_seq(table) == 2 and read_batch_ids(table) == {"b1", "b2"}


def test_rejected_and_empty_batches_only_get_a_final_log_row(lake: Lake) -> None:
    bad = LandedBatch("things", "bad", "bad.csv.gz", "test", utc_now(), error="corrupt gzip")
    empty = LandedBatch("things", "empty", "empty.csv", "test", utc_now(), rows=pl.DataFrame())
    assert commit_raw(bad, lake=lake).status == "rejected"  # type: ignore[union-attr]
    assert commit_raw(empty, lake=lake).status == "empty"  # type: ignore[union-attr]
    assert open_table(lake.table_uri("raw", "things")) is None
    log = read_ingestion_log(lake=lake).sort("batch_id")
    assert log.select("batch_id", "status", "error").rows() == [
        ("bad", "rejected", "corrupt gzip"),
        ("empty", "empty", None),
    ]


def test_clean_merges_pending_batches_once_and_finalizes_the_log(lake: Lake) -> None:
    commit_raw(_batch("b1", [1, 2, 3]), lake=lake)
    pending = scan_unmerged(lake.table_uri("raw", "things"), after_seq=0)
    assert pending is not None
    assert pending.after == 0
    frame, top = pending.rows.collect(), pending.top
    write_quarantine(
        pl.DataFrame(
            {
                "_batch_id": ["b1"],
                "_ingested_at": [utc_now()],
                "_source": ["b1.csv"],
                "_source_row": [3],
                "stage": ["type"],
                "reason": ["bad"],
                "record": ["{}"],
            }
        ),
        "things",
        lake=lake,
    )
    writer = CleanWriter("things", lake=lake)
    writer.write(_clean(frame.filter(pl.col("k") != "3"), merged={"things": top}, after={}))
    clean = read_table(lake.table_uri("clean", "things"))
    assert sorted(clean.get_column("k").to_list()) == ["1", "2"]
    assert read_merged_seqs("things", ["things"], lake=lake) == {"things": 1}
    log = read_ingestion_log(lake=lake).row(0, named=True)
    assert (log["status"], log["rows_in"], log["rows_landed"], log["rows_quarantined"]) == (
        "partial",
        3,
        2,
        1,
    )
    # the same merge again is refused (the txn is in CLEAN)
    assert not commit_clean(_clean(frame, merged={"things": top}, after={}), lake=lake)
    assert read_table(lake.table_uri("clean", "things")).height == 2


def test_a_merge_that_changes_nothing_commits_nothing_to_clean(lake: Lake) -> None:
    commit_raw(_batch("b1", [1, 2]), lake=lake)
    pending = scan_unmerged(lake.table_uri("raw", "things"))
    assert pending is not None
    CleanWriter("things", lake=lake).write(
        _clean(pending.rows.collect(), merged={"things": pending.top}, after={})
    )
    version = open_table(lake.table_uri("clean", "things")).version()  # type: ignore[union-attr]
    commit_raw(_batch("b2", [1, 2]), lake=lake)  # the same values again, in a new batch
    pending = scan_unmerged(lake.table_uri("raw", "things"))
    assert pending is not None and pending.after == 1
    chunk = _clean(pending.rows.collect(), merged={"things": pending.top}, after={"things": 1})
    assert commit_clean(chunk, lake=lake)
    assert open_table(lake.table_uri("clean", "things")).version() == version  # type: ignore[union-attr]
    assert read_merged_seqs("things", ["things"], lake=lake) == {"things": 2}
    assert scan_unmerged(lake.table_uri("raw", "things")).is_empty  # type: ignore[union-attr]
    statuses = dict(read_ingestion_log(lake=lake).select("batch_id", "status").rows())
    assert statuses == {"b1": "ok", "b2": "ok"}


def _land_in_process(args: tuple[str, str, int]) -> str:
    root, batch_id, delay = args
    os.environ["PITWALL_LAKE_URI"] = root
    time.sleep(delay / 1000)
    outcome = commit_raw(_batch(batch_id, list(range(50))), lake=Lake(root))
    return "landed" if outcome else "skipped"


def test_concurrent_runs_land_each_batch_once(tmp_path: Path) -> None:
    root = str(tmp_path / "lake")
    jobs = [(root, f"b{i % 3}", (i * 7) % 20) for i in range(9)]
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        results = pool.map(_land_in_process, jobs)
    assert results.count("landed") == 3
    raw = read_table(f"{root}/raw/things")
    assert raw.height == 150
    per_batch = raw.group_by("_batch_id").agg(pl.len(), pl.col("_batch_seq").n_unique())
    assert sorted(per_batch.rows()) == [("b0", 50, 1), ("b1", 50, 1), ("b2", 50, 1)]
    assert sorted(raw.get_column("_batch_seq").unique().to_list()) == [1, 2, 3]
    log = read_ingestion_log(lake=Lake(root))
    assert log.height == 3
