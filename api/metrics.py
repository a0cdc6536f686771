"""Prometheus metrics of the read API: requests, latency and authentication failures.

A pure ASGI middleware (no ``BaseHTTPMiddleware``: it would copy every response body through
an extra task). Labels are the route's *template* (``/tables/{layer}/{name}``), never the raw
path, so a scanner cannot blow up the series count; a request no route matched is
``<unmatched>``. Per request the middleware reads the clock twice and bumps two children
whose label tuples are looked up, not built anew: no per-request allocation storm.

``GET /metrics`` serves the text format (not in the OpenAPI schema; Traefik does not route
it: Prometheus scrapes the pod). With several uvicorn workers, set
``PROMETHEUS_MULTIPROC_DIR`` to an empty writable folder: every worker writes its samples
there and ``/metrics`` merges them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
import time

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MetricsMiddleware", "install_metrics", "read_metrics"]

UNMATCHED = "<unmatched>"
# up to 10 s: a large Parquet export is slow, a page is a few ms
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
AUTH_FAILURES = {401: "unauthenticated", 403: "forbidden"}
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if MULTIPROC_DIR:  # the workers' sample files go there: it must exist before the first sample
    os.makedirs(MULTIPROC_DIR, exist_ok=True)

REQUESTS = Counter(
    "pitwall_api_requests",
    "HTTP requests answered, by method, route template and status code",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "pitwall_api_request_duration_seconds",
    "Time from the request to the end of the response, by method and route template",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
)
AUTH = Counter(
    "pitwall_api_auth_failures",
    "Requests refused for their credentials: unauthenticated (401) or forbidden (403)",
    ["reason"],
)


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


class MetricsMiddleware:
    """Counts and times every HTTP request (``/metrics`` itself included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response starts is a server error

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            method, route = scope["method"], _route_of(scope)
            LATENCY.labels(method, route).observe(time.perf_counter() - started)
            REQUESTS.labels(method, route, str(status)).inc()
            reason = AUTH_FAILURES.get(status)
            if reason is not None:
                AUTH.labels(reason).inc()


def read_metrics() -> bytes:
    """The text exposition: this process's registry, or every worker's in multiprocess mode."""
    if MULTIPROC_DIR:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def install_metrics(app: FastAPI) -> None:
    """Add the middleware and ``GET /metrics`` to ``app``."""
    app.add_middleware(MetricsMiddleware)

    def metrics() -> Response:
        return Response(read_metrics(), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
