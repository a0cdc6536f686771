"""Run the sandbox on loopback: in a background thread or in a child process."""

from __future__ import annotations

import json
import os
import socket
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import uvicorn

from pitwall.serving import serve_asgi
from sandbox.partner_api.app import create_app
from sandbox.partner_api.credentials import SandboxCredentials
from sandbox.partner_api.faults import Faults

READY_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SandboxConfig:
    seed: int = 7
    sizes: Mapping[str, int] = field(default_factory=dict)
    faults: Faults | None = None
    credentials: SandboxCredentials | None = None
    token_ttl_seconds: float = 60.0

    def app_kwargs(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "sizes": dict(self.sizes),
            "faults": self.faults,
            "credentials": self.credentials,
            "token_ttl_seconds": self.token_ttl_seconds,
        }


def bind_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def build_server(config: SandboxConfig) -> uvicorn.Server:
    app = create_app(**config.app_kwargs())
    return uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))


@contextmanager
def serve_partner_api(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    faults: Faults | None = None,
    seed: int = 7,
    sizes: Mapping[str, int] | None = None,
    credentials: SandboxCredentials | None = None,
    token_ttl_seconds: float = 60.0,
    isolation: Literal["thread", "process"] = "thread",
) -> Iterator[str]:
    """Serve the sandbox partner API and yield its base URL (``http://127.0.0.1:<port>``).

    ``isolation="process"`` runs it in a child process so that it does not share the GIL
    with the client (used by the benchmark).
    """
    config = SandboxConfig(
        seed=seed,
        sizes=dict(sizes or {}),
        faults=faults,
        credentials=credentials,
        token_ttl_seconds=token_ttl_seconds,
    )
    runner = _serve_in_process if isolation == "process" else _serve_in_thread
    with runner(config, host=host, port=port) as base_url:
        yield base_url


@contextmanager
def _serve_in_thread(config: SandboxConfig, *, host: str, port: int) -> Iterator[str]:
    app = create_app(**config.app_kwargs())
    with serve_asgi(app, host=host, port=port, name="partner-api") as base_url:
        yield base_url


CONFIG_ENV = "PITWALL_PARTNER_API_SANDBOX_CONFIG"


def config_to_json(config: SandboxConfig) -> str:
    return json.dumps(
        {
            "seed": config.seed,
            "sizes": dict(config.sizes),
            "faults": config.faults.model_dump() if config.faults else None,
            "credentials": asdict(config.credentials) if config.credentials else None,
            "token_ttl_seconds": config.token_ttl_seconds,
        }
    )


def config_from_json(text: str) -> SandboxConfig:
    data = json.loads(text)
    return SandboxConfig(
        seed=data["seed"],
        sizes=data["sizes"],
        faults=Faults.model_validate(data["faults"]) if data["faults"] else None,
        credentials=SandboxCredentials(**data["credentials"]) if data["credentials"] else None,
        token_ttl_seconds=data["token_ttl_seconds"],
    )


@contextmanager
def _serve_in_process(config: SandboxConfig, *, host: str, port: int) -> Iterator[str]:
    """``python -m sandbox.partner_api`` as a child; the config travels in an env var (not in
    argv, where other users could read the credentials)."""
    command = [sys.executable, "-m", "sandbox.partner_api", "--host", host, "--port", str(port)]
    env = {**os.environ, CONFIG_ENV: config_to_json(config)}
    argv = [*command, "--no-print-env"]  # our own interpreter and module
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=env)  # nosec B603
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first.startswith("sandbox partner API on "):
            raise RuntimeError("sandbox partner API process did not start")
        base_url = first.rsplit(" ", 1)[1].strip()
        _wait_healthy(base_url)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_healthy(base_url: str) -> None:
    import httpx

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"sandbox partner API at {base_url} is not healthy")
