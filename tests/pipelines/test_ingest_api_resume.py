"""ingest_api resuming: after a fetch that failed for good (the complete pages before the failure
are committed with their cursor and log rows, the next run lands the rest once), and over RAW
rows an earlier version stored as canonical JSON (records at the cursor are not landed again)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import polars as pl
import pytest
import stamina

from pipelines.ingest_api.nodes import land_api_pages
from pitwall.datasets import RawTableDataset
from pitwall.lake.delta import read_table, write_table
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from pitwall.rest.datasets import RestPagesDataset
from pitwall.rest.errors import RetriesExhaustedError
from pitwall.rest.records import canonical_hash, canonical_json
from pitwall.rest.state import read_cursor
from sandbox.partner_api import serve_partner_api

RECORDS = 50
PAGE = 5
FAILING_PAGE = 7  # with this seed, page 7 gets two 500s in a row: out of 2 attempts
FAULTS = {"server_error": 0.5, "seed": 5}


@pytest.fixture(autouse=True)
def _real_retries() -> Iterator[None]:
    with stamina.set_testing(False):
        yield


@pytest.fixture
def weather_api() -> Iterator[str]:
    with serve_partner_api(0, sizes={"weather": RECORDS}) as url:
        yield url


def sources(url: str) -> dict[str, Any]:
    retry = {
        "attempts": 2,
        "wait_initial_seconds": 0.001,
        "wait_max_seconds": 0.002,
        "wait_jitter_seconds": 0.0,
        "timeout_seconds": 30,
    }
    return {
        "wx": {
            "base_url": url,
            "auth": {"kind": "none"},
            "http": {"retry": retry},
            "endpoints": {
                "obs": {
                    "path": "/public/v1/weather",
                    "params": {"style": "page_number"},
                    "paginator": {"kind": "page_number", "page_size": PAGE},
                    "records": "data",
                    "cursor": {"field": "updated_at", "param": "updated_since"},
                    "key": ["observation_id"],
                    "columns": {"observation_id": "string", "updated_at": "datetime"},
                    "clean_table": "test_wx",
                }
            },
        }
    }


def land(url: str) -> None:
    spec = sources(url)["wx"]
    pages = RestPagesDataset(source="wx", endpoint="obs", spec=spec, prefetch_pages=4)
    raw = RawTableDataset(table="api_wx_obs")
    for batch in land_api_pages(pages.load(), 4 * PAGE, raw_table="api_wx_obs"):
        raw.save(batch)


def landed_ids(lake: Lake) -> list[str]:
    """Ids of the RAW rows in landing order."""
    raw = read_table(lake.table_uri("raw", "api_wx_obs")).sort("_batch_seq", "_source_row")
    return raw["record"].str.json_path_match("$.observation_id").to_list()


def test_failed_fetch_keeps_complete_pages_and_the_rerun_lands_the_rest_once(
    weather_api: str, lake: Lake
) -> None:
    truth = httpx.get(f"{weather_api}/admin/records/weather").json()
    httpx.put(f"{weather_api}/admin/faults", json=FAULTS).raise_for_status()
    with pytest.raises(RetriesExhaustedError, match=f"page={FAILING_PAGE}&"):
        land(weather_api)

    # pages 1-4 were one chunk; pages 5-6 (half a chunk) were committed before the error
    before = (FAILING_PAGE - 1) * PAGE
    assert landed_ids(lake) == [r["observation_id"] for r in truth[:before]]
    uri = lake.table_uri("raw", "api_wx_obs")
    assert read_cursor(uri, storage_options={}) == truth[before - 1]["updated_at"]
    batches = set(read_table(uri)["_batch_id"])
    logged = read_ingestion_log(lake=lake)
    assert len(batches) == 2
    assert set(logged["batch_id"]) == batches
    assert sorted(logged["rows_in"].to_list()) == [before - 4 * PAGE, 4 * PAGE]

    httpx.put(f"{weather_api}/admin/faults", json={}).raise_for_status()
    land(weather_api)
    ids = landed_ids(lake)
    assert sorted(ids) == sorted(r["observation_id"] for r in truth)
    assert len(ids) == len(set(ids)) == RECORDS
    assert read_cursor(uri, storage_options={}) == truth[-1]["updated_at"]


def test_rows_stored_as_canonical_json_are_recognised_at_the_cursor(
    weather_api: str, lake: Lake
) -> None:
    land(weather_api)
    uri = lake.table_uri("raw", "api_wx_obs")
    raw = read_table(uri)
    truth = httpx.get(f"{weather_api}/admin/records/weather").json()
    # this version keeps each record's JSON as the API sent it
    assert sorted(raw["record"]) == sorted(orjson.dumps(r).decode() for r in truth)
    # rewrite RAW as an earlier version stored it: sorted-keys JSON and its hash
    canonical = [canonical_json(t).decode() for t in raw["record"]]
    assert canonical != raw["record"].to_list()
    earlier = raw.with_columns(
        record=pl.Series(canonical),
        record_hash=pl.Series([canonical_hash(t) for t in canonical]),
    )
    write_table(earlier, uri, mode="overwrite")

    land(weather_api)  # the records at the cursor come back: all held already
    assert read_table(uri).height == RECORDS
    touched = httpx.post(f"{weather_api}/admin/touch/weather", params={"count": 4}).json()
    land(weather_api)
    ids = landed_ids(lake)
    assert len(ids) == RECORDS + 4
    assert sorted(ids[RECORDS:]) == sorted(touched["updated"])
