"""Assetto Corsa sessions and what hangs off one: laps, a lap's telemetry, the standing."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.responses import Response

from api.deps import CleanCursor, Format, Reader
from api.formats import frame_response, row_response, tabular_content
from api.models import LapPublic, SessionPublic, StandingPublic, TelemetrySamplePublic
from api.problems import AUTH_PROBLEMS, problem_responses
from pitwall.queries import (
    read_lap_trace,
    read_session_laps,
    read_session_leaderboard,
    read_sessions,
)

router = APIRouter(prefix="/sessions", tags=["sessions"], responses=AUTH_PROBLEMS)
SessionId = Annotated[str, Path(min_length=1, max_length=200)]
CarId = Annotated[int, Path(ge=0, le=2**31 - 1)]
_TABULAR = {200: {"content": tabular_content()}, **problem_responses(404)}
MAX_TRACE_POINTS = 100_000


@router.get("", response_model=list[SessionPublic], responses=_TABULAR, summary="List sessions")
def list_sessions(
    _: Reader,
    db: CleanCursor,
    fmt: Format,
    protocol: Literal["game", "server"] | None = None,
    track: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """Sessions, newest first, with their lap count, cars and best valid lap."""
    frame = read_sessions(db, protocol=protocol, track=track, limit=limit)
    return frame_response(frame, fmt=fmt)


@router.get(
    "/{session_id}",
    response_model=SessionPublic,
    responses=problem_responses(404),
    summary="One session",
)
def get_session(_: Reader, db: CleanCursor, session_id: SessionId) -> Response:
    frame = read_sessions(db, session_id=session_id, limit=1)
    if frame.is_empty():
        raise HTTPException(404, f"no session {session_id!r}")
    return row_response(frame)


@router.get(
    "/{session_id}/laps",
    response_model=list[LapPublic],
    responses=_TABULAR,
    summary="Laps of a session",
)
def list_laps(
    _: Reader,
    db: CleanCursor,
    fmt: Format,
    session_id: SessionId,
    car_id: Annotated[int | None, Query(ge=0, le=2**31 - 1)] = None,
    valid: bool | None = None,
) -> Response:
    """Laps in completion order; filter by car or validity."""
    return frame_response(read_session_laps(db, session_id, car_id=car_id, valid=valid), fmt=fmt)


@router.get(
    "/{session_id}/laps/{car_id}/{lap_number}/telemetry",
    response_model=list[TelemetrySamplePublic],
    responses=_TABULAR,
    summary="One lap's telemetry trace",
)
def lap_telemetry(
    _: Reader,
    db: CleanCursor,
    fmt: Format,
    session_id: SessionId,
    car_id: CarId,
    lap_number: Annotated[int, Path(ge=0, le=100_000)],
    points: Annotated[
        int | None,
        Query(
            ge=2, le=MAX_TRACE_POINTS, description="downsample to this many evenly spaced samples"
        ),
    ] = None,
) -> Response:
    """Samples of one lap in time order, optionally downsampled to `points` samples."""
    trace = read_lap_trace(db, session_id, car_id=car_id, lap_number=lap_number, points=points)
    if trace.is_empty():
        raise HTTPException(
            404, f"no telemetry for car {car_id} lap {lap_number} of {session_id!r}"
        )
    return frame_response(trace, fmt=fmt)


@router.get(
    "/{session_id}/leaderboard",
    response_model=list[StandingPublic],
    responses=_TABULAR,
    summary="Standing of a session",
)
def session_leaderboard(_: Reader, db: CleanCursor, fmt: Format, session_id: SessionId) -> Response:
    """The server's latest leaderboard, or (game captures) cars ranked by best valid lap."""
    return frame_response(read_session_leaderboard(db, session_id), fmt=fmt)
