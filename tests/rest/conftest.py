"""A sandbox partner API on loopback with random credentials exported as env vars."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stamina

from sandbox.partner_api import SandboxCredentials, serve_partner_api


@pytest.fixture(scope="module")
def sandbox_credentials() -> SandboxCredentials:
    return SandboxCredentials.random()


@pytest.fixture(scope="module")
def partner_api(sandbox_credentials: SandboxCredentials) -> Iterator[str]:
    with serve_partner_api(0, credentials=sandbox_credentials, token_ttl_seconds=30) as url:
        yield url


@pytest.fixture(autouse=True)
def _credentials_env(
    sandbox_credentials: SandboxCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in sandbox_credentials.as_env().items():
        monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def _real_retries() -> Iterator[None]:
    """These tests count retries and waits: make sure stamina's testing mode is off."""
    with stamina.set_testing(False):
        yield
