"""Circuits: their sector lines and lap length (``pitwall.queries.read_circuit_sectors``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import CleanCursor, Format, Reader
from api.formats import frame_response, tabular_content
from api.problems import AUTH_PROBLEMS, problem_responses
from pitwall.queries import read_circuit_sectors

router = APIRouter(prefix="/circuits", tags=["circuits"], responses=AUTH_PROBLEMS)


class SectorPublic(BaseModel):
    track: str
    track_config: str
    name: str
    sector: int
    start_pos: float = Field(description="where the sector starts, fraction of the lap")
    end_pos: float = Field(description="where it ends (the sector line), fraction of the lap")
    length_m: float | None = Field(description="the lap's length")
    source: str = Field(description="conf, or default (three equal sectors)")


@router.get(
    "/{track}/sectors",
    response_model=list[SectorPublic],
    responses={200: {"content": tabular_content()}, **problem_responses(404, 422)},
    summary="Sectors of a circuit",
)
def circuit_sectors(
    _: Reader,
    db: CleanCursor,
    fmt: Format,
    track: Annotated[str, Path(min_length=1, max_length=200)],
    layout: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The circuit's sectors, from its sector lines (three equal ones for an unknown circuit)."""
    return frame_response(read_circuit_sectors(db, track, track_config=layout), fmt=fmt)
