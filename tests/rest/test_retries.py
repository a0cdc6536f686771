"""Faults: 429 + Retry-After, 5xx, slow responses (timeouts), expired tokens, malformed pages.
The client ends with exactly the sandbox's records; when retries run out the error names the
endpoint."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import httpx
import pytest

from pitwall.rest import RestClient, RetriesExhaustedError
from pitwall.rest.errors import RetryableError
from pitwall.rest.retry import backoff_hook, retry_after_seconds
from sandbox.partner_api import Faults, SandboxCredentials, serve_partner_api
from tests.rest.helpers import FAST_RETRY, PAGINATORS, endpoint, set_faults, source, stats, truth


@pytest.fixture
def faulty_api(sandbox_credentials: SandboxCredentials) -> Iterator[str]:
    with serve_partner_api(0, credentials=sandbox_credentials, token_ttl_seconds=30) as url:
        yield url


@pytest.mark.parametrize("style", list(PAGINATORS))
def test_all_faults_end_with_exactly_the_sandbox_records(faulty_api: str, style: str) -> None:
    set_faults(
        faulty_api,
        rate_limit=0.12,
        server_error=0.12,
        slow=0.05,
        expire_token=0.12,
        malformed=0.12,
        retry_after_seconds=0.01,
        slow_seconds=0.4,
        seed=len(style),
    )
    spec = source(
        faulty_api,
        endpoints={"ep": endpoint("entries", style=style, page_size=50)},
        http={"timeout_seconds": 0.2},
    )
    with RestClient("partner", spec) as client:
        ids = [r["entry_id"] for p in client.iter_pages("ep") for r in p.records]
    assert ids == [r["entry_id"] for r in truth(faulty_api, "entries")]
    injected = stats(faulty_api)["faults_injected"]
    assert {"rate_limit", "server_error", "expire_token", "malformed"} <= set(injected)


def test_retry_after_is_honoured(faulty_api: str) -> None:
    # every first request of a URL is a 429 asking for 0.3 s; exponential waits are ~0
    set_faults(faulty_api, rate_limit=0.5, retry_after_seconds=0.3, max_consecutive=1, seed=3)
    spec = source(faulty_api, endpoints={"ep": endpoint("events", page_size=60)})
    started = time.monotonic()
    with RestClient("partner", spec) as client:
        records = [r for p in client.iter_pages("ep") for r in p.records]
    waited = time.monotonic() - started
    assert len(records) == 60
    rate_limited = stats(faulty_api)["statuses"].get("429", 0)
    assert rate_limited >= 1
    assert waited >= 0.3 * rate_limited


def test_retries_exhausted_names_the_endpoint_and_hides_the_key(faulty_api: str) -> None:
    set_faults(faulty_api, server_error=0.5, max_consecutive=10, seed=1)
    spec = source(
        faulty_api,
        auth="api_key_query",
        endpoints={"results": endpoint("results", style="cursor")},
        http={"retry": {**FAST_RETRY, "attempts": 2}},
    )
    with RestClient("partner", spec) as client, pytest.raises(RetriesExhaustedError) as err:
        list(client.iter_pages("results"))
    message = str(err.value)
    assert "partner.results" in message and "/v1/results" in message
    assert "after 2 attempt(s)" in message and "HTTP 500" in message
    assert os.environ["PITWALL_PARTNER_API_KEY"] not in message


def test_connection_refused_is_retried_then_named() -> None:
    with serve_partner_api(0) as url:
        pass  # the port is closed now
    spec = source(url, auth="none", endpoints={"wx": endpoint("weather", public=True)})
    with RestClient("weather", spec) as client, pytest.raises(RetriesExhaustedError) as err:
        list(client.iter_pages("wx"))
    assert "weather.wx" in str(err.value) and "ConnectError" in str(err.value)
    assert "after 8 attempt(s)" in str(err.value)


def test_oauth2_token_refreshed_before_expiry(sandbox_credentials: SandboxCredentials) -> None:
    # tokens live 2 s and are refreshed once less than 1.5 s remain; 10 requests/s for ~2 s
    with serve_partner_api(0, credentials=sandbox_credentials, token_ttl_seconds=2.0) as url:
        spec = source(
            url,
            endpoints={"ep": endpoint("events", page_size=3)},
            http={"requests_per_second": 10},
        )
        auth = spec.auth.model_copy(update={"refresh_leeway_seconds": 1.5})
        with RestClient("partner", spec.model_copy(update={"auth": auth})) as client:
            assert sum(len(p.records) for p in client.iter_pages("ep")) == 60
        seen = stats(url)
    assert seen["tokens_issued"] >= 2
    assert "401" not in seen["statuses"]  # refreshed before expiry, never refused


def test_oauth2_token_refetched_on_401(faulty_api: str) -> None:
    set_faults(faulty_api, expire_token=0.4, seed=5)
    spec = source(faulty_api, endpoints={"ep": endpoint("events", page_size=5)})
    with RestClient("partner", spec) as client:
        assert sum(len(p.records) for p in client.iter_pages("ep")) == 60
    seen = stats(faulty_api)
    assert seen["statuses"]["401"] >= 1
    assert seen["tokens_issued"] == 1 + seen["statuses"]["401"]


def test_rate_limit_spaces_requests(partner_api: str) -> None:
    spec = source(
        partner_api,
        endpoints={"ep": endpoint("events", page_size=10)},
        http={"requests_per_second": 20},
    )
    started = time.monotonic()
    with RestClient("partner", spec) as client:
        pages = list(client.iter_pages("ep"))
    # n requests at 20/s take at least (n - 1) / 20 s (the token request is not limited)
    assert time.monotonic() - started >= (len(pages) - 1) / 20


def test_retry_after_parsing_and_hook() -> None:
    request = httpx.Request("GET", "http://x")
    assert (
        retry_after_seconds(httpx.Response(429, headers={"Retry-After": "2"}, request=request)) == 2
    )
    date = "Wed, 21 Oct 2015 07:28:00 GMT"  # in the past: no wait
    assert (
        retry_after_seconds(httpx.Response(429, headers={"Retry-After": date}, request=request))
        == 0
    )
    assert retry_after_seconds(httpx.Response(503, request=request)) is None

    hook = backoff_hook(5.0)
    assert hook(RetryableError("429", retry_after=1.5)) == 1.5
    assert hook(RetryableError("429", retry_after=99)) == 5.0
    assert hook(RetryableError("500")) is True
    assert hook(httpx.ReadTimeout("t")) is True
    assert hook(httpx.UnsupportedProtocol("u")) is False
    assert hook(ValueError("v")) is False


def test_fault_probabilities_are_bounded() -> None:
    with pytest.raises(ValueError):
        Faults(rate_limit=0.5, server_error=0.5)
    with pytest.raises(ValueError):
        Faults(malformed=0.7)
