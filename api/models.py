"""Response models (``<Entity>Public``): the API's documented shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.settings import Backend

Layer = Literal["raw", "clean", "quarantine"]


class SigningKeysPublic(BaseModel):
    """The identity provider's signing keys as the API holds them."""

    freshness: Literal["fresh", "stale", "missing"] = Field(
        description="stale keys still verify tokens while a refresh is attempted; "
        "missing: no token can be verified yet"
    )
    keys: int = Field(description="keys held")
    age_s: float | None = Field(description="seconds since the last successful fetch")
    refreshing: bool = Field(description="a fetch is under way")
    failures: int = Field(description="consecutive failed fetches")
    retry_in_s: float | None = Field(description="next fetch allowed in (after failures)")


class HealthPublic(BaseModel):
    status: Literal["ok"] = "ok"
    backend: Backend
    tables: int = Field(description="lake tables being served")
    signing_keys: SigningKeysPublic


class ColumnPublic(BaseModel):
    name: str
    type: str = Field(description="SQL type as DuckDB reports it")


class TablePublic(BaseModel):
    layer: Layer
    name: str
    columns: list[ColumnPublic]
    rows: int
    version: int | None = Field(description="Delta table version")
    updated_at: datetime | None = Field(description="time of the last Delta commit")


class RowsPagePublic(BaseModel):
    layer: Layer
    table: str
    columns: list[str]
    limit: int
    offset: int
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")
    items: list[dict[str, Any]]


class SessionPublic(BaseModel):
    session_id: str
    protocol: str | None
    track: str | None
    track_config: str | None
    session_name: str | None
    session_type: str | None
    server_name: str | None
    started_at: datetime | None
    capture_id: str | None
    laps: int
    cars: int = Field(description="cars that completed at least one lap")
    best_lap_ms: int | None = Field(description="best valid lap")


class LapPublic(BaseModel):
    session_id: str
    car_id: int
    lap_number: int
    driver_name: str | None
    car_model: str | None
    lap_time_ms: int | None
    cuts: int | None
    valid: bool | None
    top_speed_kmh: float | None
    completed_at: datetime | None
    protocol: str | None


class TelemetrySamplePublic(BaseModel):
    ts: datetime
    lap_time_ms: int | None
    distance_m: float | None
    normalized_pos: float | None
    speed_kmh: float | None
    throttle: float | None
    brake: float | None
    clutch: float | None
    steer: float | None
    gear: int | None
    rpm: float | None
    x: float | None
    y: float | None
    z: float | None


class StandingPublic(BaseModel):
    position: int
    car_id: int
    person_id: str | None = Field(None, description="the driver's person (reference data)")
    driver_name: str | None = Field(description="the person's name, else the in-game name")
    team_id: str | None = Field(None, description="the person's team on the day (reference data)")
    car_model: str | None
    time_ms: int | None = Field(description="as classified, penalties excluded")
    laps: int | None
    has_completed: bool | None
    updated_at: datetime | None
    penalty_ms: int = Field(0, description="time penalties added when ranking")
    status: Literal["classified", "DSQ"] = "classified"
    penalty_reasons: list[str] = Field(default_factory=list)


class LapRecordPublic(BaseModel):
    track: str | None
    track_config: str | None
    person_id: str | None = Field(None, description="the driver's person (reference data)")
    driver_name: str | None
    team_id: str | None = Field(None, description="the person's team on the day (reference data)")
    car_model: str | None
    lap_time_ms: int
    session_id: str
    car_id: int
    lap_number: int
    completed_at: datetime | None


class IngestionBatchPublic(BaseModel):
    batch_id: str
    source: str | None
    pipeline: str | None
    started_at: datetime | None
    finished_at: datetime | None
    rows_in: int | None
    rows_landed: int | None
    rows_quarantined: int | None
    status: str | None
    error: str | None


class QuarantineSummaryPublic(BaseModel):
    table: str
    stage: str | None
    reason: str | None
    rows: int
    batches: int
    first_at: datetime | None
    last_at: datetime | None


class FeedPublic(BaseModel):
    name: str
    location: str = Field(
        description="glob the next ingest_csv run reads: an s3:// URI, or a path relative to "
        "the project (or, when configured absolute, to the landing zone)"
    )
    columns: dict[str, str] = Field(description="declared column -> type")
    required: list[str]


class UploadPublic(BaseModel):
    feed: str
    file: str = Field(description="name of the stored file")
    uri: str = Field(
        description="where the file was stored: an s3:// URI, or a path relative to the "
        "project (or, when configured absolute, to the landing zone); never a server path"
    )
    bytes: int
    columns: list[str]


class ServedTablePublic(BaseModel):
    layer: Layer
    name: str
    version: int
    rows: int
    cached: bool = Field(description="held in DuckDB memory")


class CatalogPublic(BaseModel):
    changed: bool
    tables: list[ServedTablePublic]
