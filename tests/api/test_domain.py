"""Domain endpoints over HTTP: sessions, laps, telemetry, leaderboards, ingestion."""

from __future__ import annotations

import io
from typing import TypeVar

import httpx
import polars as pl
import pytest
from pydantic import BaseModel, TypeAdapter

from api.models import (
    IngestionBatchPublic,
    LapPublic,
    LapRecordPublic,
    QuarantineSummaryPublic,
    SessionPublic,
    StandingPublic,
    TelemetrySamplePublic,
)
from tests.queries.ac_lake import GAME_LAP1_SAMPLES

M = TypeVar("M", bound=BaseModel)


def get_list(client: httpx.Client, path: str, model: type[M], **params: object) -> list[M]:
    response = client.get(path, params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return TypeAdapter(list[model]).validate_json(response.content)  # type: ignore[valid-type]


def test_sessions(client: httpx.Client) -> None:
    sessions = get_list(client, "/sessions", SessionPublic)
    assert [(s.session_id, s.laps, s.best_lap_ms) for s in sessions] == [
        ("srv-1", 6, 90_000),
        ("game-1", 2, 138_500),
    ]
    assert sessions[0].started_at is not None and sessions[0].started_at.tzinfo is not None
    assert [
        s.session_id for s in get_list(client, "/sessions", SessionPublic, protocol="game")
    ] == ["game-1"]


def test_one_session(client: httpx.Client) -> None:
    session = SessionPublic.model_validate_json(client.get("/sessions/srv-1").content)
    assert (session.track, session.cars) == ("monza", 2)
    missing = client.get("/sessions/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_laps(client: httpx.Client) -> None:
    laps = get_list(client, "/sessions/srv-1/laps", LapPublic, car_id=1)
    assert [lap.lap_number for lap in laps] == [1, 2, 3]
    assert {lap.car_model for lap in laps} == {"bmw_m3"}
    invalid = get_list(client, "/sessions/srv-1/laps", LapPublic, valid=False)
    assert [(lap.driver_name, lap.cuts) for lap in invalid] == [("Alice", 2)]


def test_telemetry_trace_downsampled(client: httpx.Client) -> None:
    path = "/sessions/game-1/laps/0/1/telemetry"
    full = get_list(client, path, TelemetrySamplePublic)
    assert len(full) == GAME_LAP1_SAMPLES
    assert [s.ts for s in full] == sorted(s.ts for s in full)
    assert len(get_list(client, path, TelemetrySamplePublic, points=50)) == 50
    parquet = client.get(path, params={"points": 200, "format": "parquet"})
    assert pl.read_parquet(io.BytesIO(parquet.content)).height == 200
    assert client.get("/sessions/game-1/laps/0/7/telemetry").status_code == 404
    assert client.get(path, params={"points": 1}).status_code == 422


def test_session_leaderboards(client: httpx.Client) -> None:
    server = get_list(client, "/sessions/srv-1/leaderboard", StandingPublic)
    assert [(s.position, s.driver_name) for s in server] == [(1, "Bob"), (2, "Alice")]
    game = get_list(client, "/sessions/game-1/leaderboard", StandingPublic)
    assert [(s.position, s.time_ms) for s in game] == [(1, 138_500)]


def test_lap_records(client: httpx.Client) -> None:
    records = get_list(client, "/leaderboard", LapRecordPublic)
    assert [r.driver_name for r in records] == ["Bob", "Alice", "Carol"]
    csv = client.get("/leaderboard", params={"track": "spa"}, headers={"Accept": "text/csv"})
    assert pl.read_csv(io.BytesIO(csv.content)).get_column("driver_name").to_list() == ["Carol"]


def test_ingestion_log_and_quarantine(client: httpx.Client) -> None:
    log = get_list(client, "/ingestion/log", IngestionBatchPublic, status="partial")
    assert [b.batch_id for b in log] == ["b3", "b2"]
    assert all(b.rows_in == (b.rows_landed or 0) + (b.rows_quarantined or 0) for b in log)
    summary = get_list(client, "/ingestion/quarantine", QuarantineSummaryPublic)
    assert sum(s.rows for s in summary) == 3


@pytest.mark.parametrize(
    "path",
    ["/sessions", "/sessions/srv-1/laps", "/leaderboard", "/ingestion/log", "/tables"],
)
def test_formats_agree(client: httpx.Client, path: str) -> None:
    as_json = pl.DataFrame(client.get(path).json())
    as_parquet = pl.read_parquet(io.BytesIO(client.get(path, params={"format": "parquet"}).content))
    assert as_json.height == as_parquet.height > 0
    assert as_json.columns == as_parquet.columns
