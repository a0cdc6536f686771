"""Oversized request heads get 431 at once, on both ways the API is served (issue 16, finding 5).

Headers over ``max_header_bytes`` get 431 from the app; a head past that plus the request-line
allowance gets 431 from the server protocol at once. "At once" is shown by ordering, not by a
clock: the 431 arrives while the client has sent only part of the head (no end of headers
yet), so the server answered without waiting for, or parsing, the rest. Bodies over the limit
get 413 (tests/api/test_uploads.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from api.app import create_app
from api.limits import REQUEST_LINE_ALLOWANCE
from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.lake.layout import Lake
from pitwall.serving import serve_asgi
from tests.api.conftest import Mint

CAP = 16 * 1024


def _settings(api_lake: Lake, api_home: Path, issuer_url: str) -> ApiSettings:
    return ApiSettings(
        oidc_issuer=issuer_url,
        lake_uri=api_lake.root,
        home=api_home,
        catalog_refresh_s=0,
        max_header_bytes=CAP,
    )


def _send_part_of_a_head(url: str, *, header_bytes: int) -> tuple[int, dict]:
    """Send a request head cut short (``header_bytes`` of one header, no end of headers), then
    read what the server answers meanwhile."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=60) as sock:
        sock.sendall(
            b"GET /sessions HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer " + b"a" * header_bytes
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/problem+json" in head.lower()
    return status, orjson.loads(body)


def _get(url: str, *, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(f"{url}/sessions", headers=headers, timeout=120)


@pytest.fixture(scope="module")
def demo_served(api_lake: Lake, api_home: Path, issuer_url: str) -> Iterator[str]:
    """The API as the demo and the tests serve it (``api.serve.serve_api``)."""
    with serve_api(settings=_settings(api_lake, api_home, issuer_url)) as url:
        yield url


@pytest.fixture(scope="module")
def module_served(api_lake: Lake, api_home: Path, issuer_url: str) -> Iterator[str]:
    """The API as ``python -m api`` serves it, in its own process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {
        "PITWALL_API_OIDC_ISSUER": issuer_url,
        "PITWALL_API_LAKE_URI": api_lake.root,
        "PITWALL_API_HOME": str(api_home),
        "PITWALL_API_CATALOG_REFRESH_S": "0",
        "PITWALL_API_MAX_HEADER_BYTES": str(CAP),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"python -m api did not start: {process.stderr.read()!r}")
            time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(params=["serve_api", "python -m api"])
def served(request: pytest.FixtureRequest) -> str:
    name = "demo_served" if request.param == "serve_api" else "module_served"
    return request.getfixturevalue(name)


def test_an_oversized_head_gets_431_before_it_is_even_complete(served: str) -> None:
    status, problem = _send_part_of_a_head(served, header_bytes=4 * 1024 * 1024)
    assert status == 431
    assert problem["detail"] == f"request head larger than {CAP + REQUEST_LINE_ALLOWANCE} bytes"


def test_a_header_over_the_cap_gets_431(served: str, mint: Mint) -> None:
    headers = {"Authorization": f"Bearer {mint()}", "X-Padding": "p" * (CAP + 1)}
    response = _get(served, headers=headers)
    assert response.status_code == 431
    assert response.json()["detail"] == f"request headers larger than {CAP} bytes"


def test_a_50_mb_header_sent_whole_gets_431(served: str) -> None:
    response = _get(served, headers={"Authorization": "Bearer " + "a" * 50_000_000})
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"


def test_heads_under_the_cap_are_served(served: str, mint: Mint) -> None:
    headers = {"Authorization": f"Bearer {mint()}", "X-Padding": "p" * (CAP // 2)}
    assert _get(served, headers=headers).status_code == 200
    # the connection serves the next request after a big but acceptable head
    with httpx.Client(base_url=served, timeout=60) as client:
        for _ in range(3):
            assert client.get("/sessions", headers=headers).status_code == 200


def test_the_app_itself_caps_headers_under_any_server(
    api_lake: Lake, api_home: Path, issuer_url: str, mint: Mint
) -> None:
    """Served without our protocol (uvicorn's default parser), the app still answers 431."""
    app = create_app(_settings(api_lake, api_home, issuer_url))
    with serve_asgi(app, name="plain-uvicorn") as url:
        many = {f"X-Field-{i}": "v" * 1000 for i in range(CAP // 1000 + 2)}
        response = _get(url, headers={"Authorization": f"Bearer {mint()}", **many})
        assert response.status_code == 431
        assert response.json()["detail"] == f"request headers larger than {CAP} bytes"
        assert _get(url, headers={"Authorization": f"Bearer {mint()}"}).status_code == 200
