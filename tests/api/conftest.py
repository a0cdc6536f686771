"""The read API served on loopback over an AC lake, with a sandbox OIDC issuer."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.lake.layout import Lake, get_lake
from sandbox.oidc import DEFAULT_AUDIENCE, OidcClient, SandboxIssuer, serve_oidc
from sandbox.oidc.keys import SigningAlg
from tests.queries.ac_lake import write_ac_lake

FEEDS_CONF = """
csv_feeds:
    laps:
      location: {landing}/laps/*.csv
      columns:
        entry_id: string
        driver: string
        lap_time_s: float
        note: {{type: string, required: false}}
      key: [entry_id]
      clean_table: laps
"""

Mint = Callable[..., str]


@pytest.fixture(scope="session")
def issuer() -> SandboxIssuer:
    sandbox = SandboxIssuer()
    sandbox.add_client(OidcClient("reader-only", "reader-secret", roles=frozenset({"reader"})))
    return sandbox


@pytest.fixture(scope="session")
def issuer_url(issuer: SandboxIssuer) -> Iterator[str]:
    with serve_oidc(issuer=issuer) as url:
        yield url


@pytest.fixture(scope="session")
def api_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = get_lake(str(tmp_path_factory.mktemp("api-lake")))
    write_ac_lake(lake)
    return lake


@pytest.fixture(scope="session")
def api_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project home whose conf declares one CSV feed landing under ``landing/``."""
    home = tmp_path_factory.mktemp("api-home")
    (home / "conf" / "base").mkdir(parents=True)
    (home / "conf" / "local").mkdir()
    (home / "conf" / "base" / "sources_csv.yml").write_text(FEEDS_CONF.format(landing="landing"))
    return home


@pytest.fixture(scope="session")
def settings(issuer_url: str, api_lake: Lake, api_home: Path) -> ApiSettings:
    return ApiSettings(
        oidc_issuer=issuer_url,
        lake_uri=api_lake.root,
        home=api_home,
        catalog_refresh_s=0,
        jwks_min_refresh_s=0,
        upload_max_bytes=64 * 1024,
    )


@pytest.fixture(scope="session")
def api_url(settings: ApiSettings) -> Iterator[str]:
    with serve_api(settings=settings) as url:
        yield url


@pytest.fixture(scope="session")
def mint(issuer: SandboxIssuer, issuer_url: str) -> Mint:
    """Sign a token with the sandbox keys; defaults make a valid reader token."""

    def sign(roles: list[str] | None = None, *, alg: SigningAlg = "RS256", **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": issuer_url,
            "aud": DEFAULT_AUDIENCE,
            "sub": "test-user",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "azp": "tests",
            "realm_access": {"roles": ["reader"] if roles is None else roles},
        }
        claims.update(overrides)
        return issuer.sign({k: v for k, v in claims.items() if v is not None}, alg=alg)

    return sign


@pytest.fixture(scope="session")
def client(api_url: str, mint: Mint) -> Iterator[httpx.Client]:
    """A client authenticated as a reader."""
    headers = {"Authorization": f"Bearer {mint()}"}
    with httpx.Client(base_url=api_url, headers=headers, timeout=30) as http:
        yield http
