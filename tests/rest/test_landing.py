"""Pages -> RAW chunks -> RAW commits: chunk boundaries, the chunk that ends a load (also a
failed one), and the ingestion log rows of RAW commits (merged together, none missing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from pitwall.lake.delta import open_table, read_markers
from pitwall.lake.ingest import INGESTION_LOG_TABLE
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from pitwall.rest.client import FetchedPage
from pitwall.rest.datasets import ApiRawDataset
from pitwall.rest.errors import RetriesExhaustedError
from pitwall.rest.landing import chunk_pages
from pitwall.rest.records import RawChunk, RawPage, raw_page
from pitwall.rest.state import read_cursor

T0 = datetime(2025, 3, 1, tzinfo=UTC)
SOURCES = {
    "src": {
        "base_url": "http://127.0.0.1:1",
        "auth": {"kind": "none"},
        "endpoints": {
            name: {
                "path": f"/v1/{name}",
                "paginator": {"kind": "page_number", "page_size": 3},
                "records": "data",
                "cursor": {"field": "updated_at", "param": "updated_since"},
                "key": ["id"],
                "columns": {"id": "int", "updated_at": "datetime"},
                "clean_table": f"test_{name}",
            }
            for name in ("ep", "other")
        },
    }
}


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


def shape(chunks: list[RawChunk]) -> list[tuple[str, list[int], bool]]:
    return [
        (c.endpoint, c.rows["page"].unique(maintain_order=True).to_list(), c.last) for c in chunks
    ]


def test_chunks_of_about_max_records_and_the_last_one_marked() -> None:
    chunks = list(chunk_pages(pages_of([3, 3, 0, 3, 2, 0]), max_records=5))
    assert shape(chunks) == [("ep", [1, 2], False), ("ep", [4, 5], True)]
    assert [c.rows.height for c in chunks] == [6, 5]
    assert chunks[-1].cursor == "2025-03-01T10:10:00Z"


def test_a_chunk_ends_where_the_endpoint_changes() -> None:
    stream = [*pages_of([2, 2]), *pages_of([2], endpoint="other"), *pages_of([0], endpoint="x")]
    chunks = list(chunk_pages(stream, max_records=10))
    assert shape(chunks) == [("ep", [1, 2], False), ("other", [1], True)]


def test_empty_stream_gives_no_chunk() -> None:
    assert list(chunk_pages(pages_of([0, 0]), max_records=5)) == []
    assert list(chunk_pages([], max_records=5)) == []


def failing(pages: list[RawPage]) -> Iterator[RawPage]:
    yield from pages
    raise RetriesExhaustedError("src.ep: GET ... failed after 8 attempt(s)")


def test_a_failed_fetch_commits_the_complete_pages_then_raises() -> None:
    got: list[RawChunk] = []
    with pytest.raises(RetriesExhaustedError):
        for chunk in chunk_pages(failing(pages_of([3, 3, 3])), max_records=5):
            got.append(chunk)
    assert shape(got) == [("ep", [1, 2], False), ("ep", [3], True)]
    assert got[-1].cursor == "2025-03-01T10:08:00Z"


def test_a_fetch_failing_at_once_gives_no_chunk() -> None:
    with pytest.raises(RetriesExhaustedError):
        list(chunk_pages(failing([]), max_records=5))


def log_commits(lake: Lake) -> int:
    table = open_table(lake.table_uri("raw", INGESTION_LOG_TABLE))
    return 0 if table is None else len(table.history())


def test_raw_commits_are_logged_together_after_the_last_chunk(lake: Lake) -> None:
    raw = ApiRawDataset(sources=SOURCES, log_every_seconds=3600)
    chunks = list(chunk_pages(pages_of([3, 3, 3, 3, 1]), max_records=3))
    assert [c.last for c in chunks] == [False, False, False, False, True]
    for chunk in chunks[:-1]:
        raw.save(chunk)
    # RAW and its cursor are committed at once; the log rows wait for the last chunk
    uri = lake.table_uri("raw", "api_src_ep")
    assert read_cursor(uri, storage_options={}) == "2025-03-01T10:11:00Z"
    assert log_commits(lake) == 0
    raw.save(chunks[-1])
    assert log_commits(lake) == 1
    logged = read_ingestion_log(lake=lake)
    landed = {m.removeprefix("batch:") for m in read_markers(uri) if m.startswith("batch:")}
    assert set(logged["batch_id"]) == landed == {c.batch_id for c in chunks}
    assert (logged["status"] == "landed_raw").all()
    assert logged.sort("started_at")["rows_in"].to_list() == [3, 3, 3, 3, 1]
    assert (logged["rows_in"] == logged["rows_landed"]).all()


def test_log_every_zero_logs_each_commit(lake: Lake) -> None:
    raw = ApiRawDataset(sources=SOURCES, log_every_seconds=0)
    for n, chunk in enumerate(chunk_pages(pages_of([3, 3, 3]), max_records=3), start=1):
        raw.save(chunk)
        assert log_commits(lake) == n
        assert read_ingestion_log(lake=lake).height == n


def test_load_writes_log_rows_a_save_left_behind(lake: Lake) -> None:
    raw = ApiRawDataset(sources=SOURCES, log_every_seconds=3600)
    chunk = next(chunk_pages(pages_of([3, 3]), max_records=3))
    assert not chunk.last
    raw.save(chunk)
    assert log_commits(lake) == 0
    pending = raw.load()
    assert pending["src.ep"].rows.height == 3
    logged = read_ingestion_log(lake=lake)
    assert logged.select("batch_id", "status").rows() == [(chunk.batch_id, "landed_raw")]
