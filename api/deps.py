"""Dependencies shared by the routers, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import closing
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Union, get_args, get_origin

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


@dataclass(frozen=True)
class _QueryNames:
    allowed: frozenset[str]
    repeatable: frozenset[str]


def _query_names(dependant: Dependant) -> _QueryNames:
    allowed = {p.alias for p in dependant.query_params}
    repeatable = {p.alias for p in dependant.query_params if _is_sequence(p.field_info.annotation)}
    for sub in dependant.dependencies:
        names = _query_names(sub)
        allowed |= names.allowed
        repeatable |= names.repeatable
    return _QueryNames(frozenset(allowed), frozenset(repeatable))


def _is_sequence(annotation: object) -> bool:
    origin = get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    return origin in (Union, UnionType) and any(_is_sequence(a) for a in get_args(annotation))


async def reject_unknown_query(request: Request) -> None:
    """422 for query parameters the operation does not declare (a typo like ``?filtr=`` would
    otherwise silently return unfiltered data), and for a single-valued parameter given more
    than once (which value would count is not for the server to guess)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    names = _KNOWN_QUERY.get(route.unique_id)
    if names is None:
        names = _KNOWN_QUERY[route.unique_id] = _query_names(route.dependant)
    unknown = sorted(set(request.query_params) - names.allowed)
    if unknown:
        raise HTTPException(
            422, f"unknown query parameters {unknown}; allowed: {sorted(names.allowed)}"
        )
    given = [key for key, _ in request.query_params.multi_items()]
    repeated = sorted({k for k in given if given.count(k) > 1} - names.repeatable)
    if repeated:
        raise HTTPException(422, f"query parameters given more than once: {repeated}")


_KNOWN_QUERY: dict[str, _QueryNames] = {}

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
