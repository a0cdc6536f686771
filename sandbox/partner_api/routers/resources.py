"""Paginated domain endpoints: ``/v1/<resource>`` (authenticated) and ``/public/v1/<resource>``."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from sandbox.partner_api.data import Resource
from sandbox.partner_api.deps import AuthKind, State, authenticate
from sandbox.partner_api.faults import FaultKind
from sandbox.partner_api.pagination import Style, paginate
from sandbox.partner_api.state import DEFAULT_STYLES, SandboxState

MALFORMED_BODIES = (b'{"data": [{"event_id": "evt-0', b'{"error": "upstream glitch"}')


def _serve(
    request: Request,
    state: SandboxState,
    resource: Resource,
    *,
    updated_since: datetime | None,
    style: Style | None,
    auth: tuple[AuthKind, str] | None,
) -> Response:
    kind, token = auth if auth else (None, "")
    key = f"{request.url.path}?{request.url.query}"
    fault = state.faults.draw(key, oauth=kind == "oauth2")
    response = _faulty(state, fault, token) if fault and fault != "slow" else None
    if fault == "slow":
        time.sleep(state.faults.faults.slow_seconds)
    if response is None:
        records = state.data.select(resource, updated_since=updated_since)
        page = paginate(
            records,
            style=style or DEFAULT_STYLES[resource],
            query=dict(request.query_params),
            url=request.url,
        )
        response = Response(orjson.dumps(page.body), headers=page.headers)
        response.headers["content-type"] = "application/json"
    state.stats.count(
        path=request.url.path,
        status=response.status_code,
        auth=kind,
        since=request.query_params.get("updated_since"),
    )
    return response


def _faulty(state: SandboxState, fault: FaultKind, token: str) -> Response:
    if fault == "rate_limit":
        wait = f"{state.faults.faults.retry_after_seconds:g}"
        return Response(b'{"error": "rate limited"}', 429, headers={"Retry-After": wait})
    if fault == "server_error":
        return Response(b'{"error": "internal"}', 500 + 3 * (len(token) % 2))
    if fault == "expire_token":
        state.tokens.revoke(token)
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        return Response(b'{"error": "token expired"}', 401, headers=headers)
    body = MALFORMED_BODIES[state.stats.requests.total() % 2]
    return Response(body, 200, media_type="application/json")


UpdatedSince = Annotated[
    datetime | None, Query(description="only records updated at or after this instant")
]
StyleOverride = Annotated[Style | None, Query(description="sandbox test mode: pagination style")]

router = APIRouter(tags=["resources"])
public_router = APIRouter(tags=["public"])


@router.get("/v1/{resource}")
def list_records(
    request: Request,
    state: State,
    resource: Resource,
    auth: Annotated[tuple[AuthKind, str], Depends(authenticate)],
    updated_since: UpdatedSince = None,
    style: StyleOverride = None,
) -> Response:
    return _serve(request, state, resource, updated_since=updated_since, style=style, auth=auth)


@public_router.get("/public/v1/{resource}")
def list_public_records(
    request: Request,
    state: State,
    resource: Resource,
    updated_since: UpdatedSince = None,
    style: StyleOverride = None,
) -> Response:
    if resource not in ("weather", "standings"):
        raise HTTPException(404, "only weather and standings are public")
    return _serve(request, state, resource, updated_since=updated_since, style=style, auth=None)
