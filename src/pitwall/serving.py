"""Serve an ASGI app with uvicorn in a background thread: the demo, the tests and the sandbox
servers all start theirs this way."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import uvicorn

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = logging.getLogger(__name__)


@contextmanager
def serve_asgi(
    app: ASGIApp,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    name: str = "asgi",
    startup_timeout_s: float = 30.0,
    uvicorn_options: Mapping[str, Any] | None = None,
) -> Iterator[str]:
    """Run ``app`` on ``host:port`` (0 = ephemeral) until the block exits; yield its base URL.

    The socket is bound before uvicorn starts so the URL is known even for port 0; the block is
    entered only once the lifespan startup has completed. ``uvicorn_options`` are more
    ``uvicorn.Config`` settings (e.g. the read API's header caps).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", access_log=False, **dict(uvicorn_options or {})
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"serve-{name}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout=5)
            sock.close()
            raise RuntimeError(f"{name} server failed to start on {host}:{bound_port}")
        time.sleep(0.01)
    base_url = f"http://{host}:{bound_port}"
    log.info("%s serving %s", name, base_url)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
