"""GET /metrics of the running API: requests, latency and auth failures move as requests come."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_several_workers_share_one_metrics_view(tmp_path: Path) -> None:
    """PROMETHEUS_MULTIPROC_DIR (compose and the chart set it: uvicorn runs 2 workers): each
    process writes its samples there, and /metrics of any worker merges them all."""
    folder = tmp_path / "prometheus"  # missing: the API creates it
    script = (
        "from api.metrics import REQUESTS, read_metrics\n"
        "import sys\n"
        "REQUESTS.labels('GET', '/tables', '200').inc(int(sys.argv[1]))\n"
        "print(read_metrics().decode())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script, str(n)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
        for n in (3, 4)
    ]
    samples = {
        (s.name, s.labels.get("status")): s.value
        for f in text_string_to_metric_families(outputs[-1])
        for s in f.samples
    }
    assert samples[("pitwall_api_requests_total", "200")] == 7  # both processes' counts
