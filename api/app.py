"""The read API's app factory: ``create_app(settings)``; serve with ``python -m api``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from api.auth import JwksCache, TokenVerifier
from api.deps import reject_unknown_query
from api.limits import HeaderLimit
from api.metrics import install_metrics
from api.problems import (
    COMMON_PROBLEMS,
    BodyLimit,
    install_problem_handlers,
    problem_response,
    use_problem_media_type,
)
from api.readers import Readers, open_readers
from api.routers import (
    admin,
    circuits,
    feeds,
    health,
    ingestion,
    leaderboard,
    ref,
    season,
    sessions,
    tables,
)
from api.settings import ApiSettings
from pitwall.production import require_real_secrets
from pitwall.queries import QueryError, TableNotFoundError

log = logging.getLogger(__name__)
MULTIPART_OVERHEAD = 64 * 1024
ROUTERS = (
    health.router,
    tables.router,
    sessions.router,
    leaderboard.router,
    season.router,
    circuits.router,
    ingestion.router,
    feeds.router,
    ref.router,
    admin.router,
)

DESCRIPTION = """Read access to the Pitwall lake (RAW, CLEAN, quarantine) and the Assetto Corsa
domain tables. Every endpoint but `/health` needs an OIDC bearer token whose realm roles include
`reader` (uploads: `ingest`; reference data changes under `/ref`: `editor`; operations: `admin`,
which holds every role). Errors are `application/problem+json`.
Tabular endpoints answer JSON by default and CSV or Parquet on request (`?format=` or Accept)."""


OPENAPI_TAGS = [
    {
        "name": "reference data",
        "description": """Data curated by hand, as CLEAN Delta tables `clean.ref_<entity>`
(mirrored to PostgreSQL): `people`, `identities` (an AC GUID, in-game name, partner driver id or
scraped spelling mapped to a person), `teams`, `memberships` (with `valid_from` / `valid_to`),
`events` (the league calendar), `circuit_sectors` (sector lines in metres along the lap) and
`penalties` (time, position, DSQ, struck lap; each with a reason). Models per entity:
`<Entity>Create`, `<Entity>Update`, `<Entity>Public`; every row has a `version` (its `ETag`)
and a `deleted` tombstone. Reading needs `reader` (or `editor`); writing needs `editor`
(`admin` holds it). `If-Match` is required on PATCH and DELETE (428 without, 412 when stale);
each change is one Delta MERGE checked against the version, audited in `raw.ref_changes`
(`GET .../{key}/history`). CSV import (all or nothing per file) and export per entity.""",
    }
]


async def _refresh_periodically(readers: Readers, every_s: float) -> None:
    while True:
        await asyncio.sleep(every_s)
        try:
            await run_in_threadpool(readers.lake.refresh)
        except Exception:  # keep serving the last good snapshot
            log.exception("lake catalog refresh failed")


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API; resources (catalog, JWKS client) open in its lifespan.

    Raises:
        TemplateSecretError: production mode with a template or empty secret in the env.
    """
    require_real_secrets()
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        readers = await run_in_threadpool(open_readers, settings)
        http = httpx.AsyncClient(timeout=settings.jwks_timeout_s)
        jwks = JwksCache(
            settings.oidc_issuer,
            client=http,
            max_age_s=settings.jwks_max_age_s,
            min_refresh_s=settings.jwks_min_refresh_s,
            timeout_s=settings.jwks_timeout_s,
            max_backoff_s=settings.jwks_max_backoff_s,
        )
        jwks.refresh_in_background()  # keys ready for the first request, without delaying it
        app.state.readers = readers
        app.state.verifier = TokenVerifier(
            jwks, audience=settings.oidc_audience, leeway_s=settings.clock_leeway_s
        )
        refresher = None
        if settings.catalog_refresh_s:
            refresher = asyncio.create_task(
                _refresh_periodically(readers, settings.catalog_refresh_s)
            )
        try:
            yield
        finally:
            if refresher is not None:
                refresher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await refresher
            await http.aclose()
            readers.close()

    # /docs and /redoc serve Swagger UI and ReDoc from the package, not from a CDN (offline)
    app = FastAPIOffline(
        title="Pitwall read API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query)],
        responses=COMMON_PROBLEMS,
    )
    app.state.settings = settings
    # every body but an upload is tiny: cap them all (multipart overhead on top of a file)
    app.add_middleware(BodyLimit, max_bytes=settings.upload_max_bytes + MULTIPART_OVERHEAD)
    # outermost: oversized headers are refused before anything (auth included) reads them
    app.add_middleware(HeaderLimit, max_bytes=settings.max_header_bytes)
    install_problem_handlers(app)
    use_problem_media_type(app)
    install_metrics(app)  # outermost middleware: times everything, the body limit included

    async def query_error(request: Request, exc: Exception) -> Response:
        return problem_response(422, str(exc), instance=request.url.path)

    async def table_missing(request: Request, exc: Exception) -> Response:
        return problem_response(404, str(exc), instance=request.url.path)

    app.add_exception_handler(QueryError, query_error)
    app.add_exception_handler(TableNotFoundError, table_missing)
    for router in ROUTERS:
        app.include_router(router)
    return app
