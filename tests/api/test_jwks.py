"""An identity provider that hangs cannot stall the API (issue 16, finding 3).

The issuer is a real loopback socket that accepts connections and never answers
(:class:`StallingIssuer`); the API is served on loopback. Requests whose key is known answer
while the key fetch is still hanging; unknown keys share one fetch and then fail fast.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from api.auth import IssuerUnavailableError, JwksCache
from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.lake.layout import Lake
from sandbox.oidc import DEFAULT_AUDIENCE, SandboxIssuer
from tests.api.stalling_issuer import StallingIssuer

CONCURRENT = 8


@pytest.fixture
def idp() -> Iterator[StallingIssuer]:
    with StallingIssuer(SandboxIssuer()) as server:
        yield server


def _token(idp: StallingIssuer) -> str:
    """A new reader token (a new subject each time: the API cannot answer from its token cache)."""
    now = int(time.time())
    claims = {
        "iss": idp.url,
        "aud": DEFAULT_AUDIENCE,
        "sub": f"user-{uuid.uuid4()}",
        "iat": now,
        "exp": now + 300,
        "realm_access": {"roles": ["reader"]},
    }
    return idp.issuer.sign(claims)


def _get_all(url: str, tokens: list[str]) -> list[int]:
    def get(token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.get(f"{url}/sessions", headers=headers, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        return list(pool.map(get, tokens))


def _keys(url: str) -> dict:
    return httpx.get(f"{url}/health", timeout=30).json()["signing_keys"]


def test_known_keys_answer_while_the_issuer_hangs(
    idp: StallingIssuer, api_lake: Lake, api_home: Path
) -> None:
    settings = ApiSettings(
        oidc_issuer=idp.url,
        lake_uri=api_lake.root,
        home=api_home,
        catalog_refresh_s=0,
        jwks_max_age_s=0.01,  # the keys go stale at once: every request would like a refresh
        jwks_min_refresh_s=0,
        jwks_timeout_s=60,  # never reached: release() ends the hanging fetch
    )
    with serve_api(settings=settings) as url:
        assert _get_all(url, [_token(idp)]) == [200]  # the keys are known
        idp.stall()

        statuses = _get_all(url, [_token(idp) for _ in range(CONCURRENT)])

        # every request answered while the one refresh they started is still hanging
        assert statuses == [200] * CONCURRENT
        assert (idp.stalled_connections, idp.held()) == (1, 1)
        keys = _keys(url)
        assert keys["refreshing"] is True and keys["failures"] == 0
        assert keys["freshness"] == "stale" and keys["keys"] >= 2

        # a rotated (unknown) key must wait for the keys: all such requests share that fetch
        idp.issuer.keys.rotate("RS256")
        with ThreadPoolExecutor(max_workers=1) as pool:
            unknown = pool.submit(_get_all, url, [_token(idp) for _ in range(4)])
            time.sleep(0.5)  # let them join the hanging fetch (they would all 503 anyway)
            idp.release()
            assert unknown.result() == [503] * 4
        assert idp.stalled_connections == 1  # one fetch for all of them

        # the failure is remembered: an unknown key is refused at once, a known one still works
        keys = _keys(url)
        assert keys["failures"] == 1 and keys["retry_in_s"] is not None
        assert keys["refreshing"] is False
        idp.stall()
        assert _get_all(url, [_token(idp)]) == [503]
        assert idp.stalled_connections == 1  # no new attempt during the backoff
        idp.release()

        # after the backoff the rotated key is fetched and accepted
        deadline = time.monotonic() + 30
        while _keys(url)["retry_in_s"] is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _get_all(url, [_token(idp)]) == [200]
        assert _keys(url)["failures"] == 0


def test_a_hanging_fetch_is_cut_short_and_backs_off(idp: StallingIssuer) -> None:
    now = [1000.0]
    idp.stall()

    async def scenario() -> list[object]:
        seen: list[object] = []
        async with httpx.AsyncClient() as http:
            cache = JwksCache(
                idp.url, client=http, timeout_s=0.3, backoff_s=5, clock=lambda: now[0]
            )
            with pytest.raises(IssuerUnavailableError, match="timed out"):
                await cache.get("some-kid")
            seen.append((idp.stalled_connections, cache.state().retry_in_s))
            with pytest.raises(IssuerUnavailableError, match=r"next attempt in 5\.0s"):
                await cache.get("some-kid")  # negative cache: no new connection
            seen.append(idp.stalled_connections)
            now[0] += 5
            with pytest.raises(IssuerUnavailableError, match="timed out"):
                await cache.get("some-kid")
            seen.append((idp.stalled_connections, cache.state().retry_in_s))  # doubled
            idp.release()
            now[0] += 10
            assert await cache.get(idp.issuer.keys.current("RS256").kid) is not None
            seen.append(cache.state().failures)
        return seen

    assert asyncio.run(scenario()) == [(1, 5.0), 1, (2, 10.0), 0]


def test_concurrent_unknown_kids_share_one_fetch(idp: StallingIssuer) -> None:
    async def scenario() -> tuple[int, int]:
        async with httpx.AsyncClient() as http:
            cache = JwksCache(idp.url, client=http, min_refresh_s=0)
            kid = idp.issuer.keys.current("ES256").kid
            found = await asyncio.gather(*(cache.get(kid) for _ in range(20)))
            assert all(key is not None for key in found)
            return cache.fetches, idp.answered

    # one JWKS fetch (plus the discovery document) for twenty concurrent requests
    assert asyncio.run(scenario()) == (1, 2)
