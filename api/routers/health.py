"""Liveness: no auth."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ReadersDep
from api.models import HealthPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, summary="Health (no auth)")
async def health(readers: ReadersDep) -> HealthPublic:
    return HealthPublic(backend=readers.backend, tables=len(readers.lake.tables))
