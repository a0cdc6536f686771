"""End to end: simulators -> capture daemons -> ingest_assetto -> the read API's domain endpoints.

The CLEAN tables here are the real pipeline's output, not a hand-made fixture.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import httpx
import polars as pl
import pytest
from pydantic import BaseModel, TypeAdapter

from api.models import (
    IngestionBatchPublic,
    LapPublic,
    LapRecordPublic,
    SessionPublic,
    StandingPublic,
    TablePublic,
    TelemetrySamplePublic,
)
from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.assetto.demo import record_demo_session
from pitwall.lake.layout import get_lake
from pitwall.settings import get_settings
from tests.api.conftest import Mint
from tests.conftest import REPO_ROOT

M = TypeVar("M", bound=BaseModel)


@pytest.fixture(scope="module")
def pipeline_lake(tmp_path_factory: pytest.TempPathFactory) -> str:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    root = tmp_path_factory.mktemp("assetto-e2e")
    record_demo_session(
        root / "landing", seconds=6, cars=3, track="ks_brands_hatch", practice=False, rigs=1
    )
    lake_root = str(root / "lake")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PITWALL_ASSETTO_LANDING", str(root / "landing" / "assetto"))
        env.setenv("PITWALL_LAKE_URI", lake_root)
        get_settings.cache_clear()
        try:
            bootstrap_project(REPO_ROOT)
            with KedroSession.create(project_path=REPO_ROOT) as session:
                session.run(pipeline_names=["ingest_assetto"])
        finally:
            get_settings.cache_clear()
    assert "ac_sessions" in get_lake(lake_root).list_tables("clean")
    return lake_root


@pytest.fixture(scope="module")
def http(pipeline_lake: str, issuer_url: str, api_home: Path, mint: Mint) -> Iterator[httpx.Client]:
    settings = ApiSettings(
        oidc_issuer=issuer_url, lake_uri=pipeline_lake, home=api_home, catalog_refresh_s=0
    )
    with serve_api(settings=settings) as url:
        headers = {"Authorization": f"Bearer {mint()}"}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            yield client


def get_list(http: httpx.Client, path: str, model: type[M], **params: object) -> list[M]:
    response = http.get(path, params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return TypeAdapter(list[model]).validate_json(response.content)  # type: ignore[valid-type]


def test_sessions_of_both_protocols(http: httpx.Client) -> None:
    sessions = get_list(http, "/sessions", SessionPublic)
    assert sorted(s.protocol or "" for s in sessions) == ["game", "server"]
    server = next(s for s in sessions if s.protocol == "server")
    assert server.cars == 3 and server.laps > 0 and server.best_lap_ms


def test_laps_leaderboards_and_traces(http: httpx.Client) -> None:
    for session in get_list(http, "/sessions", SessionPublic):
        sid = quote(session.session_id, safe="")  # real ids hold '#'
        assert SessionPublic.model_validate_json(http.get(f"/sessions/{sid}").content) == session
        laps = get_list(http, f"/sessions/{sid}/laps", LapPublic)
        assert laps, session.protocol
        board = get_list(http, f"/sessions/{sid}/leaderboard", StandingPublic)
        assert [s.position for s in board] == list(range(1, len(board) + 1))
        if session.protocol == "game":
            lap = laps[0]
            path = f"/sessions/{sid}/laps/{lap.car_id}/{lap.lap_number}/telemetry"
            full = get_list(http, path, TelemetrySamplePublic)
            sampled = get_list(http, path, TelemetrySamplePublic, points=20)
            assert len(sampled) == min(20, len(full))
            assert sampled[0].ts == full[0].ts


def test_records_ingestion_and_tables(http: httpx.Client) -> None:
    assert get_list(http, "/leaderboard", LapRecordPublic)
    log = get_list(http, "/ingestion/log", IngestionBatchPublic, pipeline="ingest_assetto")
    assert log and all(b.rows_in == (b.rows_landed or 0) + (b.rows_quarantined or 0) for b in log)
    names = {(t.layer, t.name) for t in get_list(http, "/tables", TablePublic)}
    assert {("clean", "ac_laps"), ("clean", "ac_telemetry"), ("raw", "ingestion_log")} <= names
    page = http.get("/tables/clean/ac_telemetry/rows", params={"format": "parquet", "limit": 7})
    assert pl.read_parquet(io.BytesIO(page.content)).height == 7
