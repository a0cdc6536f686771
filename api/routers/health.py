"""Liveness: no auth."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request

from api.deps import ReadersDep
from api.models import HealthPublic, SigningKeysPublic

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic, summary="Health (no auth)")
async def health(readers: ReadersDep, request: Request) -> HealthPublic:
    """Liveness, the lake tables served and the state of the issuer's signing keys."""
    keys = request.app.state.verifier.jwks.state()
    return HealthPublic(
        backend=readers.backend,
        tables=len(readers.lake.tables),
        signing_keys=SigningKeysPublic(**asdict(keys)),
    )
