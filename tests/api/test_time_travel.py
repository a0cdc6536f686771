"""The rows endpoint's ``as_of``: a version or a time; 410 for a vacuumed version, 404 for
one that does not exist, 422 for one that does not parse. Served on loopback like the rest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import polars as pl
import pytest
from deltalake import DeltaTable

from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.lake.maintenance import (
    MaintenancePolicy,
    maintain_lake,
    plan_maintenance,
    read_lake_status,
)
from tests.api.conftest import Mint

NO_FLOOR = MaintenancePolicy(retention_hours=0, min_retention_hours=0, log_retention_days=1)
ROWS = "/tables/clean/cars/rows"


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = get_lake(str(tmp_path / "lake"))
    uri = lake.table_uri("clean", "cars")
    write_table(pl.DataFrame({"id": [1, 2], "name": ["a", "b"]}), uri)  # version 0
    write_table(pl.DataFrame({"id": [3], "name": ["c"]}), uri)  # version 1
    write_table(pl.DataFrame({"id": [4], "name": ["d"]}), uri)  # version 2
    return lake


@pytest.fixture
def http(lake: Lake, settings: ApiSettings, mint: Mint) -> Iterator[httpx.Client]:
    ours = settings.model_copy(update={"lake_uri": lake.root})
    with serve_api(settings=ours) as url:
        headers = {"Authorization": f"Bearer {mint()}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            yield client


def ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return sorted(item["id"] for item in response.json()["items"])


def test_rows_as_of_a_version_or_a_time(http: httpx.Client, lake: Lake) -> None:
    assert ids(http.get(ROWS)) == [1, 2, 3, 4]
    assert ids(http.get(ROWS, params={"as_of": 0})) == [1, 2]
    assert ids(http.get(ROWS, params={"as_of": 1, "sort": "-id"})) == [1, 2, 3]
    [v1] = [h for h in DeltaTable(lake.table_uri("clean", "cars")).history() if h["version"] == 1]
    at = datetime.fromtimestamp(v1["timestamp"] / 1000, UTC)
    got = ids(http.get(ROWS, params={"as_of": at.isoformat()}))
    assert got[:3] == [1, 2, 3] and len(got) in {3, 4}  # v1, or v2 if committed the same ms
    # pages of an older version keep their as_of in the next link
    first = http.get(ROWS, params={"as_of": 1, "limit": 2, "format": "csv"})
    assert first.status_code == 200 and "as_of=1" in first.headers["Link"]


def test_as_of_problems(http: httpx.Client, lake: Lake) -> None:
    missing = http.get(ROWS, params={"as_of": 7})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "clean.cars has no version 7 (latest: 2)"
    bad = http.get(ROWS, params={"as_of": "yesterday"})
    assert bad.status_code == 422 and "ISO 8601" in bad.json()["detail"]

    maintain_lake(lake, plan_maintenance(read_lake_status(lake), policy=NO_FLOOR), policy=NO_FLOOR)
    gone = http.get(ROWS, params={"as_of": 0})
    assert gone.status_code == 410
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json()["detail"] == (
        "clean.cars as of version 0 is no longer available: its data files were vacuumed"
    )
    latest = DeltaTable(lake.table_uri("clean", "cars")).version()
    assert ids(http.get(ROWS, params={"as_of": latest})) == [1, 2, 3, 4]
