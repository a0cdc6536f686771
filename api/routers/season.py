"""The season view: every session on a circuit, per driver (``pitwall.queries.season``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import CleanCursor, Format, Reader
from api.formats import frame_response, tabular_content
from api.problems import AUTH_PROBLEMS, problem_responses
from pitwall.queries import (
    head_to_head,
    read_season_circuits,
    read_season_drivers,
    read_season_laps,
    season_progress,
)

router = APIRouter(prefix="/season", tags=["season"], responses=AUTH_PROBLEMS)
_TABULAR = {200: {"content": tabular_content()}, **problem_responses(404)}
Track = Annotated[str, Query(min_length=1, max_length=200, description="AC track id")]
Layout = Annotated[str | None, Query(max_length=200, description="track layout ('' = none)")]
CarModel = Annotated[str | None, Query(max_length=200, description="one car (default: all)")]
DriverKey = Annotated[str, Query(min_length=1, max_length=200, description="GUID or name")]


class SeasonCircuitPublic(BaseModel):
    track: str
    layout: str
    car_model: str | None
    drivers: int
    sessions: int
    laps: int


class SeasonDriverPublic(BaseModel):
    driver_key: str = Field(description="Steam GUID when known, else the driver's name")
    driver_name: str | None
    sessions: int
    laps: int
    counted_laps: int = Field(description="timed laps not known to be invalid")
    best_lap_ms: int | None
    theoretical_best_ms: float | None = Field(description="sum of best sectors, all sessions")
    gap_ms: int | None = Field(description="to the best driver's best lap")
    consistency_ms: float | None = Field(description="standard deviation of racing laps")
    spread_ms: float | None = Field(description="slowest minus fastest racing lap")
    racing_laps: int | None
    improvement_ms: int | None = Field(
        description="first session's best - last one's (> 0 = faster)"
    )
    timed_sessions: int | None
    cuts: int | None
    incidents: int
    cuts_per_100km: float | None
    incidents_per_100km: float | None
    reported_km: float | None = Field(description="distance the cut and incident rates cover")


class SeasonSessionPublic(BaseModel):
    driver_key: str
    driver_name: str | None
    session_id: str
    session_name: str | None
    started_at: datetime | None
    laps: int = Field(description="counted laps")
    best_ms: int | None
    mean_ms: float | None


class HeadToHeadPublic(BaseModel):
    session_id: str
    session_name: str | None
    started_at: datetime | None
    driver_ms: int
    rival_ms: int
    gap_ms: int = Field(description="driver - rival: > 0 the driver was slower")


@router.get(
    "/circuits",
    response_model=list[SeasonCircuitPublic],
    responses=_TABULAR,
    summary="Circuits and cars driven",
)
def list_circuits(_: Reader, db: CleanCursor, fmt: Format) -> Response:
    """Every circuit and car with laps in the lake, most laps first."""
    return frame_response(read_season_circuits(db), fmt=fmt)


@router.get(
    "/drivers",
    response_model=list[SeasonDriverPublic],
    responses=_TABULAR,
    summary="Season metrics per driver",
)
def season_drivers(
    _: Reader,
    db: CleanCursor,
    fmt: Format,
    track: Track,
    layout: Layout = None,
    car_model: CarModel = None,
) -> Response:
    """Best lap, theoretical best, consistency, improvement, cuts and incidents per 100 km of
    every driver on a circuit across every session, fastest first."""
    return frame_response(
        read_season_drivers(db, track, layout=layout, car_model=car_model), fmt=fmt
    )


@router.get(
    "/sessions",
    response_model=list[SeasonSessionPublic],
    responses=_TABULAR,
    summary="Best lap per driver and session",
)
def season_sessions(
    _: Reader,
    db: CleanCursor,
    fmt: Format,
    track: Track,
    layout: Layout = None,
    car_model: CarModel = None,
    driver: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Each driver's best and mean counted lap per session, in time order (improvement)."""
    progress = season_progress(read_season_laps(db, track, layout=layout, car_model=car_model))
    if driver is not None:
        progress = progress.filter(progress["driver_key"] == driver)
    return frame_response(progress, fmt=fmt)


@router.get(
    "/head-to-head",
    response_model=list[HeadToHeadPublic],
    responses=_TABULAR,
    summary="A driver against a rival",
)
def driver_head_to_head(
    _: Reader,
    db: CleanCursor,
    fmt: Format,
    track: Track,
    driver: DriverKey,
    rival: DriverKey,
    layout: Layout = None,
    car_model: CarModel = None,
) -> Response:
    """Both drivers' best laps in every session they both set a counted lap in."""
    laps = read_season_laps(db, track, layout=layout, car_model=car_model)
    return frame_response(head_to_head(laps, driver=driver, rival=rival), fmt=fmt)
