"""GET /metrics of the running API: requests, latency and auth failures move as requests come."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Mint

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(api_url: str) -> Samples:
    response = httpx.get(f"{api_url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_requests_latency_and_auth_failures(
    api_url: str, client: httpx.Client, mint: Mint
) -> None:
    before = scrape(api_url)
    for _ in range(3):
        assert client.get("/tables").status_code == 200
    assert client.get("/tables/clean/no_such_table").status_code == 404
    assert httpx.get(f"{api_url}/tables").status_code == 401  # no token
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert httpx.get(f"{api_url}/tables", headers=bad).status_code == 401
    reader = {"Authorization": f"Bearer {mint(['reader'])}"}
    assert httpx.post(f"{api_url}/admin/catalog/refresh", headers=reader).status_code == 403
    assert httpx.get(f"{api_url}/no/such/path").status_code == 404
    after = scrape(api_url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    ok = {"method": "GET", "route": "/tables"}
    assert delta("pitwall_api_requests_total", **ok, status="200") == 3
    assert delta("pitwall_api_requests_total", **ok, status="401") == 2
    # the route template, not the raw path
    described = {"method": "GET", "route": "/tables/{layer}/{name}", "status": "404"}
    assert delta("pitwall_api_requests_total", **described) == 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert delta("pitwall_api_requests_total", **unmatched) == 1
    assert delta("pitwall_api_auth_failures_total", reason="unauthenticated") == 2
    assert delta("pitwall_api_auth_failures_total", reason="forbidden") == 1
    assert delta("pitwall_api_request_duration_seconds_count", **ok) == 5
    assert delta("pitwall_api_request_duration_seconds_sum", **ok) > 0
    # every observation falls in a bucket up to +Inf
    assert delta("pitwall_api_request_duration_seconds_bucket", **ok, le="+Inf") == 5


def test_metrics_are_not_part_of_the_public_api(api_url: str) -> None:
    schema = httpx.get(f"{api_url}/openapi.json", timeout=10).json()
    assert "/metrics" not in schema["paths"]
    assert "/health" in schema["paths"]
