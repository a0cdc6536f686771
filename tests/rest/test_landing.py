"""Pages -> RAW batches -> RAW commits: batch boundaries, the batch that ends a load (also a
failed one), and the ingestion log rows of RAW commits (merged together, none missing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from pitwall.datasets import RawTableDataset
from pitwall.lake.commit import LandedBatch
from pitwall.lake.delta import open_table, read_table
from pitwall.lake.ingest import INGESTION_LOG_TABLE
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from pitwall.rest.client import FetchedPage
from pitwall.rest.errors import RetriesExhaustedError
from pitwall.rest.landing import chunk_pages
from pitwall.rest.records import RawPage, raw_page
from pitwall.rest.state import latest_cursor, read_cursor

RAW = "api_src_ep"

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def page(number: int, size: int, *, endpoint: str = "ep", first_id: int = 0) -> RawPage:
    records = [
        {"id": first_id + i, "updated_at": f"2025-03-01T10:{first_id + i:02d}:00Z"}
        for i in range(size)
    ]
    fetched = FetchedPage(
        "src",
        endpoint,
        number,
        f"http://127.0.0.1:1/v1/{endpoint}?page={number}",
        T0 + timedelta(seconds=number),
        [orjson.dumps(r) for r in records],
        endpoint_url=f"http://127.0.0.1:1/v1/{endpoint}",
        cursor_field="updated_at",
        cursors=[r["updated_at"] for r in records],
    )
    return raw_page(fetched)


def pages_of(sizes: list[int], *, endpoint: str = "ep") -> list[RawPage]:
    out, first = [], 0
    for number, size in enumerate(sizes, start=1):
        out.append(page(number, size, endpoint=endpoint, first_id=first))
        first += size
    return out


def chunks_of(pages: object, *, max_records: int) -> list[LandedBatch]:
    return list(chunk_pages(pages, max_records=max_records, raw_table=RAW))  # type: ignore[arg-type]


def shape(chunks: list[LandedBatch]) -> list[tuple[list[int], bool]]:
    return [(c.rows["page"].unique(maintain_order=True).to_list(), c.last) for c in chunks]  # type: ignore[index]


def cursor_of(chunk: LandedBatch) -> str | None:
    return latest_cursor(chunk.rows["cursor_value"].drop_nulls().to_list())  # type: ignore[index]


def test_chunks_of_about_max_records_and_the_last_one_marked() -> None:
    chunks = chunks_of(pages_of([3, 3, 0, 3, 2, 0]), max_records=5)
    assert shape(chunks) == [([1, 2], False), ([4, 5], True)]
    assert [c.rows.height for c in chunks] == [6, 5]  # type: ignore[union-attr]
    assert cursor_of(chunks[-1]) == "2025-03-01T10:10:00Z"
    assert {c.table for c in chunks} == {RAW} and {c.since_seq for c in chunks} == {0}


def test_empty_stream_gives_no_chunk() -> None:
    assert chunks_of(pages_of([0, 0]), max_records=5) == []
    assert chunks_of([], max_records=5) == []


def failing(pages: list[RawPage]) -> Iterator[RawPage]:
    yield from pages
    raise RetriesExhaustedError("src.ep: GET ... failed after 8 attempt(s)")


def test_a_failed_fetch_commits_the_complete_pages_then_raises() -> None:
    got: list[LandedBatch] = []
    with pytest.raises(RetriesExhaustedError):
        for chunk in chunk_pages(failing(pages_of([3, 3, 3])), max_records=5, raw_table=RAW):
            got.append(chunk)
    assert shape(got) == [([1, 2], False), ([3], True)]
    assert cursor_of(got[-1]) == "2025-03-01T10:08:00Z"


def test_a_fetch_failing_at_once_gives_no_chunk() -> None:
    with pytest.raises(RetriesExhaustedError):
        chunks_of(failing([]), max_records=5)


def log_commits(lake: Lake) -> int:
    table = open_table(lake.table_uri("raw", INGESTION_LOG_TABLE))
    return 0 if table is None else len(table.history())


def test_raw_commits_are_logged_together_after_the_last_chunk(lake: Lake) -> None:
    raw = RawTableDataset(table=RAW, log_every_seconds=3600)
    chunks = chunks_of(pages_of([3, 3, 3, 3, 1]), max_records=3)
    assert [c.last for c in chunks] == [False, False, False, False, True]
    for chunk in chunks[:-1]:
        raw.save(chunk)
    # RAW and its cursor are committed at once; the log rows wait for the last chunk
    uri = lake.table_uri("raw", RAW)
    assert read_cursor(uri, storage_options={}) == "2025-03-01T10:11:00Z"
    assert log_commits(lake) == 0
    raw.save(chunks[-1])
    assert log_commits(lake) == 1
    logged = read_ingestion_log(lake=lake)
    landed = set(read_table(uri)["_batch_id"])
    assert set(logged["batch_id"]) == landed == {c.batch_id for c in chunks}
    assert (logged["status"] == "landed_raw").all()
    assert logged.sort("started_at")["rows_in"].to_list() == [3, 3, 3, 3, 1]
    assert (logged["rows_in"] == logged["rows_landed"]).all()


def test_log_every_zero_logs_each_commit(lake: Lake) -> None:
    raw = RawTableDataset(table=RAW, log_every_seconds=0)
    for n, chunk in enumerate(chunks_of(pages_of([3, 3, 3]), max_records=3), start=1):
        raw.save(chunk)
        assert log_commits(lake) == n
        assert read_ingestion_log(lake=lake).height == n


def test_load_writes_log_rows_a_save_left_behind(lake: Lake) -> None:
    raw = RawTableDataset(table=RAW, log_every_seconds=3600)
    chunk = chunks_of(pages_of([3, 3]), max_records=3)[0]
    assert not chunk.last
    raw.save(chunk)
    assert log_commits(lake) == 0
    pending = raw.load()
    assert pending is not None and pending.rows.collect().height == 3
    logged = read_ingestion_log(lake=lake)
    assert logged.select("batch_id", "status").rows() == [(chunk.batch_id, "landed_raw")]


def test_a_batch_started_when_its_first_page_was_requested() -> None:
    chunks = chunks_of(pages_of([3, 3, 3, 1]), max_records=5)
    # page n was requested at T0 + n s: the batches start at pages 1 and 3
    assert [c.started_at for c in chunks] == [T0 + timedelta(seconds=1), T0 + timedelta(seconds=3)]
