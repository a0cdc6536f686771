"""No absolute server path leaves the API (issue 16, finding 6).

Known exception, not the API's to fix: ``/ingestion/log`` returns ``raw.ingestion_log.source``
as the ingestion wrote it (absolute local paths today; the landing refactor rewrites it).
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from api.uploads import public_location
from pitwall.csvfeeds.feeds import CsvFeed, parse_feeds
from pitwall.lake.layout import Lake
from tests.api.conftest import Mint

GOOD = b"entry_id,driver,lap_time_s\ne1,Alice,91.5\n"


def _feed(location: str) -> CsvFeed:
    columns = {"entry_id": "string", "driver": "string", "lap_time_s": "float"}
    spec = {"location": location, "columns": columns, "key": ["entry_id"], "clean_table": "laps"}
    return parse_feeds({"laps": spec})["laps"]


@pytest.mark.parametrize(
    ("location", "glob", "stored"),
    [
        (
            "data/landing/csv/laps/*.csv*",
            "data/landing/csv/laps/*.csv*",
            "data/landing/csv/laps/x.csv",
        ),
        ("/srv/pitwall/landing/csv/laps/*.csv", "laps/*.csv", "laps/x.csv"),
        ("/srv/landing/laps/2025/*/*.csv", "2025/*/*.csv", "2025/x.csv"),
        (
            "s3://bucket/landing/laps/*.csv",
            "s3://bucket/landing/laps/*.csv",
            "s3://bucket/landing/laps/x.csv",
        ),
    ],
)
def test_locations_are_uris_or_relative(location: str, glob: str, stored: str) -> None:
    feed = _feed(location)
    assert public_location(feed) == glob
    assert public_location(feed, name="x.csv") == stored


def test_no_response_names_a_server_path(
    api_url: str, mint: Mint, api_home: Path, api_lake: Lake
) -> None:
    server_paths = {str(api_home), str(Path(api_lake.root).resolve()), api_lake.root}
    reader = {"Authorization": f"Bearer {mint(['admin'])}"}
    with httpx.Client(base_url=api_url, headers=reader, timeout=60) as client:
        uploaded = client.post(
            "/feeds/laps/files", files={"file": ("paths-check.csv", GOOD, "text/csv")}
        )
        assert uploaded.status_code in (201, 409), uploaded.text
        responses = [
            uploaded,
            client.get("/health"),
            client.get("/feeds"),
            client.get("/tables"),
            client.get("/tables/clean/ac_laps"),
            client.get("/tables/clean/ac_laps/rows", params={"limit": 5}),
            client.get("/tables/clean/nope/rows"),
            client.get("/sessions"),
            client.get("/leaderboard"),
            client.get("/ingestion/log"),
            client.get("/ingestion/quarantine"),
            client.post("/admin/catalog/refresh"),
            client.post("/feeds/laps/files", files={"file": ("../x.csv", GOOD, "text/csv")}),
        ]
    for response in responses:
        assert response.status_code < 500, response.text
        for path in server_paths:
            assert path not in response.text, (response.request.url, path)
