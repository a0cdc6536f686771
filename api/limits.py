"""Request header caps, in the app and in the HTTP server that serves it.

- :class:`HeaderLimit` (ASGI middleware): headers over ``max_bytes`` in total get a 431 problem
  detail, before authentication looks at them, whatever server runs the app.
- :class:`HeadLimitedH11Protocol` (uvicorn protocol, used by ``python -m api`` and
  :func:`api.serve.serve_api`): a request head (request line and headers) that passes
  ``max_header_bytes`` plus :data:`REQUEST_LINE_ALLOWANCE` is answered 431 as soon as it does,
  without being parsed or buffered whole. uvicorn's own h11 protocol answers a plain 400 there,
  and its httptools protocol has no cap at all (a 50 MB header was parsed for 4.5 s).

Bodies are capped by :class:`api.problems.BodyLimit` (413).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from api.problems import problem_response
from api.settings import ApiSettings

REQUEST_LINE_ALLOWANCE = 128 * 1024
"""Room for the request line on top of the headers' cap: the API's query parameters may be
long (a cursor is up to 8000 characters, percent-encoded), and they are validated (422)."""
LINGER_S = 2.0
"""After a 431, how long the rest of an oversized head is read and dropped, so that the client
(which may still be sending it) gets the answer instead of a connection reset."""


def header_detail(max_bytes: int, *, what: str = "request headers") -> str:
    return f"{what} larger than {max_bytes} bytes"


class HeaderLimit:
    """Refuse requests whose headers (names and values) exceed ``max_bytes`` with a 431."""

    def __init__(self, app: Any, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) for name, value in scope["headers"])
            if size > self.max_bytes:
                detail = header_detail(self.max_bytes)
                response = problem_response(431, detail, instance=scope.get("path"))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class HeadLimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering 431 once a request head passes
    ``h11_max_incomplete_event_size`` bytes (instead of h11's error and uvicorn's 400)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.max_head_bytes = (
            config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE
        )
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering: drop the rest of the oversized head
        if self.conn.their_state is h11.IDLE and self._head_too_large(data):
            self._refuse()
            return
        super().data_received(data)

    def _head_too_large(self, data: bytes) -> bool:
        """True when the pending bytes pass the cap without the end of a request head."""
        pending = self.conn.trailing_data[0]
        if len(pending) + len(data) <= self.max_head_bytes:
            return False
        window = (pending + data[: self.max_head_bytes + 4])[: self.max_head_bytes + 4]
        return b"\r\n\r\n" not in window

    def _refuse(self) -> None:
        self._refused = True
        problem = problem_response(431, header_detail(self.max_head_bytes, what="request head"))
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/problem+json\r\nconnection: close\r\n"
            b"content-length: " + str(len(problem.body)).encode() + b"\r\n\r\n"
        )
        self.transport.write(head + bytes(problem.body))
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(LINGER_S, self.transport.close)


def uvicorn_options(settings: ApiSettings) -> dict[str, Any]:
    """The uvicorn settings that cap request heads (see the module docstring)."""
    return {
        "http": HeadLimitedH11Protocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes + REQUEST_LINE_ALLOWANCE,
    }
