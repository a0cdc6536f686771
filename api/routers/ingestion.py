"""Ingestion bookkeeping: the batches log and the quarantine summary."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import Format, LakeCursor, Reader
from api.formats import frame_response, tabular_content
from api.models import IngestionBatchPublic, QuarantineSummaryPublic
from api.problems import AUTH_PROBLEMS, problem_responses
from pitwall.lake.ingest import BatchStatus
from pitwall.queries import read_ingestion_log, read_quarantine_summary

router = APIRouter(prefix="/ingestion", tags=["ingestion"], responses=AUTH_PROBLEMS)
_TABULAR = {200: {"content": tabular_content()}, **problem_responses(404)}
Text = Annotated[str | None, Query(max_length=500)]


@router.get(
    "/log",
    response_model=list[IngestionBatchPublic],
    responses=_TABULAR,
    summary="Ingestion log",
)
def ingestion_log(
    _: Reader,
    db: LakeCursor,
    fmt: Format,
    source: Text = None,
    pipeline: Text = None,
    status: Annotated[BatchStatus | None, Query(description="one status of the log")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    """One row per batch, most recent first: rows in, landed, quarantined, status, error."""
    frame = read_ingestion_log(db, source=source, pipeline=pipeline, status=status, limit=limit)
    return frame_response(frame, fmt=fmt)


@router.get(
    "/quarantine",
    response_model=list[QuarantineSummaryPublic],
    responses=_TABULAR,
    summary="Quarantine summary",
)
def quarantine_summary(_: Reader, db: LakeCursor, fmt: Format) -> Response:
    """Quarantined rows per table, stage and reason."""
    return frame_response(read_quarantine_summary(db), fmt=fmt)
