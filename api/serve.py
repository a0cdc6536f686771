"""Serve the read API in a background thread (tests, demo)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from pitwall.serving import serve_asgi

if TYPE_CHECKING:
    from api.settings import ApiSettings


@contextmanager
def serve_api(
    port: int = 0, *, host: str = "127.0.0.1", settings: ApiSettings | None = None
) -> Iterator[str]:
    """Serve the read API (``api.app:create_app``) and yield its base URL."""
    from api.app import create_app
    from api.limits import uvicorn_options
    from api.settings import ApiSettings

    settings = settings or ApiSettings()
    app = create_app(settings)
    options = uvicorn_options(settings)
    with serve_asgi(app, host=host, port=port, name="read-api", uvicorn_options=options) as url:
        yield url
