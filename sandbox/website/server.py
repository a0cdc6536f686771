"""Serve the sandbox website over HTTP on loopback (stdlib threading server: the pages are
pre-built bytes, so nothing more than a keep-alive capable static server is needed)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from sandbox.website.pages import Page, build_site

log = logging.getLogger(__name__)


class _SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: crawlers reuse connections
    server_version = "PitwallSandbox/1.0"
    timeout = 10  # seconds an idle keep-alive connection is held
    site: Mapping[str, Page] = {}
    served: list[str] | None = None  # when a list: each requested path is appended (benchmarks)

    def do_GET(self) -> None:
        if self.served is not None:
            self.served.append(self.path)  # list.append is atomic: no lock needed
        page = self.site.get(urlsplit(self.path).path)
        if page is None:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")
            return
        self._send(200, page.body, page.content_type)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def make_server(
    site: Mapping[str, Page],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    served: list[str] | None = None,
) -> ThreadingHTTPServer:
    """A server bound to ``host:port`` (0 = ephemeral) serving ``site``; not yet started.
    ``served``, when given, receives the path of every request."""
    handler = type("SiteHandler", (_SiteHandler,), {"site": dict(site), "served": served})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


@contextmanager
def serve_website(
    port: int = 0,
    *,
    pages: int = 60,
    per_page: int = 20,
    host: str = "127.0.0.1",
    served: list[str] | None = None,
) -> Iterator[str]:
    """Serve the sandbox website in a background thread and yield its base URL.

    Args:
        port: TCP port; 0 picks a free one.
        pages: number of leaderboard laps (lap detail pages), see :func:`build_site`.
        per_page: leaderboard rows per listing page.
        host: interface to bind.
        served: when given, receives the path of every request.
    """
    site = build_site(pages=pages, per_page=per_page)
    server = make_server(site, host=host, port=port, served=served)
    thread = threading.Thread(target=server.serve_forever, name="sandbox-website", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    base_url = f"http://{bound_host}:{bound_port}"
    log.info("sandbox website serving %s", base_url)
    try:
        yield base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
