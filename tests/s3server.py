"""moto's S3 server in a subprocess (delta-rs holds the GIL while it waits on HTTP, so an
in-process threaded server would deadlock)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import boto3
import httpx
import pytest

from pitwall.lake.layout import Lake, get_lake
from pitwall.settings import get_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def moto_env(endpoint: str) -> dict[str, str]:
    """The ``AWS_*`` settings that point boto3, s3fs and delta-rs at a moto server."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@contextmanager
def run_moto_server(*, port: int | None = None) -> Iterator[str]:
    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def run_moto_lake(
    monkeypatch: pytest.MonkeyPatch, *, bucket: str, env: Mapping[str, str] | None = None
) -> Iterator[Lake]:
    """moto's S3 server, the ``AWS_*`` settings for it (plus ``env``), and the lake at
    ``s3://<bucket>/lake``."""
    with run_moto_server() as endpoint:
        settings = {**moto_env(endpoint), "PITWALL_LAKE_URI": f"s3://{bucket}/lake", **(env or {})}
        for key, value in settings.items():
            monkeypatch.setenv(key, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
        get_settings.cache_clear()
        yield get_lake()
        get_settings.cache_clear()
