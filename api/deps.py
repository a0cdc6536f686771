"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import AuthError, IssuerUnavailableError, Principal, Role
from api.formats import TabularFormat, negotiate_format
from api.models import Layer
from api.readers import Readers, Snapshot
from api.settings import ApiSettings
from pitwall.queries.frames import Connection

_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="OIDC access token; realm roles reader, ingest, editor, admin (admin holds all)",
)
_CHALLENGE = 'Bearer realm="pitwall"'


def readers_of(request: Request) -> Readers:
    return request.app.state.readers


# Dependencies are async even without I/O: FastAPI runs sync ones in the thread pool.
async def _settings(request: Request) -> ApiSettings:
    return request.app.state.settings


async def _readers(request: Request) -> Readers:
    return readers_of(request)


async def _authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Principal:
    if credentials is None:
        raise HTTPException(401, "a bearer token is required", {"WWW-Authenticate": _CHALLENGE})
    try:
        return await request.app.state.verifier.verify(credentials.credentials)
    except AuthError as exc:
        challenge = f'{_CHALLENGE}, error="invalid_token"'
        raise HTTPException(401, str(exc), {"WWW-Authenticate": challenge}) from exc
    except IssuerUnavailableError as exc:
        raise HTTPException(503, "the identity provider is unavailable") from exc


def require_role(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting callers whose token holds ``role`` (or ``admin``)."""

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        principal = await _authenticate(request, credentials)
        if not principal.has_role(role):
            raise HTTPException(403, f"the role {role!r} is required")
        return principal

    return check


async def _clean_cursor(request: Request) -> AsyncIterator[Connection]:
    with closing(readers_of(request).clean.snapshot().cursor()) as cursor:
        yield cursor


async def _lake_cursor(request: Request) -> AsyncIterator[Connection]:
    with closing(readers_of(request).lake.snapshot().cursor()) as cursor:
        yield cursor


async def _layer_snapshot(request: Request, layer: Layer) -> Snapshot:
    return readers_of(request).for_layer(layer).snapshot()


async def _layer_cursor(
    snapshot: Annotated[Snapshot, Depends(_layer_snapshot)],
) -> AsyncIterator[Connection]:
    with closing(snapshot.cursor()) as cursor:
        yield cursor


def _query_names(dependant: Dependant) -> frozenset[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


async def reject_unknown_query(request: Request) -> None:
    """422 for query parameters the operation does not declare (a typo like ``?filtr=`` would
    otherwise silently return unfiltered data)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    allowed = _KNOWN_QUERY.get(route.unique_id)
    if allowed is None:
        allowed = _KNOWN_QUERY[route.unique_id] = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise HTTPException(422, f"unknown query parameters {unknown}; allowed: {sorted(allowed)}")


_KNOWN_QUERY: dict[str, frozenset[str]] = {}

Settings = Annotated[ApiSettings, Depends(_settings)]
ReadersDep = Annotated[Readers, Depends(_readers)]
Reader = Annotated[Principal, Depends(require_role("reader"))]
Ingester = Annotated[Principal, Depends(require_role("ingest"))]
Editor = Annotated[Principal, Depends(require_role("editor"))]
Admin = Annotated[Principal, Depends(require_role("admin"))]
CleanCursor = Annotated[Connection, Depends(_clean_cursor)]
"""Reads of CLEAN data: DuckDB over the lake, or the PostgreSQL mirror when configured."""
LakeCursor = Annotated[Connection, Depends(_lake_cursor)]
"""Reads of any lake layer (RAW bookkeeping, quarantine): always DuckDB over the lake."""
LayerSnapshot = Annotated[Snapshot, Depends(_layer_snapshot)]
"""The snapshot serving the path's ``layer`` (the same one ``LayerCursor`` reads)."""
LayerCursor = Annotated[Connection, Depends(_layer_cursor)]
"""Reads of the table named by the path's ``layer`` (CLEAN may come from the mirror)."""
Format = Annotated[TabularFormat, Depends(negotiate_format)]
