"""Lap records: the best valid lap of each driver per track, across sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import CleanCursor, Format, Reader
from api.formats import frame_response, tabular_content
from api.models import LapRecordPublic
from api.problems import AUTH_PROBLEMS, problem_responses
from pitwall.queries import read_lap_records

router = APIRouter(prefix="/leaderboard", tags=["leaderboard"], responses=AUTH_PROBLEMS)


@router.get(
    "",
    response_model=list[LapRecordPublic],
    responses={200: {"content": tabular_content()}, **problem_responses(404)},
    summary="Lap records",
)
def lap_records(
    _: Reader,
    db: CleanCursor,
    fmt: Format,
    track: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    """Best valid lap of each driver on each track layout, fastest first."""
    return frame_response(read_lap_records(db, track=track, limit=limit), fmt=fmt)
