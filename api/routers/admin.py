"""Operations: re-read the lake now instead of waiting for the periodic refresh."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import Admin, ReadersDep
from api.models import CatalogPublic, ServedTablePublic
from api.problems import AUTH_PROBLEMS

router = APIRouter(prefix="/admin", tags=["admin"], responses=AUTH_PROBLEMS)


@router.post(
    "/catalog/refresh",
    response_model=CatalogPublic,
    summary="Refresh the lake catalog",
)
def refresh_catalog(_: Admin, readers: ReadersDep) -> CatalogPublic:
    """Serve the lake's latest table versions (rebuilds only when something changed)."""
    changed = readers.lake.refresh()
    tables = [
        ServedTablePublic.model_validate(t, from_attributes=True) for t in readers.lake.tables
    ]
    return CatalogPublic(changed=changed, tables=tables)
