"""``telemetry-capture ... --metrics``: Prometheus scrapes the running daemon and its counters
move with the datagrams (real UDP from the fake acServer, plus junk to quarantine)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.capture.conftest import BUCKET, Daemon, wait_for

Samples = dict[str, float]


def scrape(url: str) -> Samples:
    text = httpx.get(url, timeout=10).raise_for_status().text
    return {
        s.name + (f"{{kind={s.labels['kind']}}}" if "kind" in s.labels else ""): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def reachable(url: str) -> Samples | None:
    try:
        return scrape(url)
    except httpx.TransportError:
        return None


def test_counters_move_while_capturing(run_daemon: Callable[..., Daemon]) -> None:
    daemon = run_daemon(seconds=5.0)
    first = wait_for(lambda: reachable(daemon.metrics_url), what="the metrics endpoint")
    later = wait_for(
        lambda: (
            (s := scrape(daemon.metrics_url))["telemetry_capture_datagrams_received_total"]
            > first["telemetry_capture_datagrams_received_total"] + 10
            and s
        ),
        what="datagrams counted",
    )
    assert later["telemetry_capture_datagrams_decoded_total"] > 0
    assert later["telemetry_capture_kernel_drops_total"] >= 0
    assert later["telemetry_capture_flush_lag_seconds"] >= 0
    quarantined = later["telemetry_capture_datagrams_quarantined_total"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as junk:
        for _ in range(5):
            junk.sendto(b"\xff not an acServer message", ("127.0.0.1", daemon.plugin_port))
    wait_for(
        lambda: (
            scrape(daemon.metrics_url)["telemetry_capture_datagrams_quarantined_total"]
            >= quarantined + 5
        ),
        what="quarantined datagrams",
    )
    wait_for(  # and their quarantine rows reach the writer at the next flush
        lambda: (
            scrape(daemon.metrics_url).get("telemetry_capture_rows_total{kind=quarantine}", 0)
            >= quarantined + 5
        ),
        what="quarantine rows written",
    )
    wait_for(
        lambda: scrape(daemon.metrics_url)["telemetry_capture_files_written_total"] > 0,
        what="a finished file (segments roll every second)",
    )
    final = scrape(daemon.metrics_url)
    summary = daemon.stop()
    # the scraped counts never run ahead of what the daemon reports at the end
    assert final["telemetry_capture_datagrams_received_total"] <= summary["received"]
    assert summary["quarantined"] >= quarantined + 5
    assert "telemetry_capture_upload_pending_files" not in final  # no --upload


def test_upload_counters_are_exported_with_upload(
    run_daemon: Callable[..., Daemon], s3_endpoint: str
) -> None:
    daemon = run_daemon(
        "--upload", f"s3://{BUCKET}/landing/assetto/m", "--upload-interval", "0.3", seconds=4.0
    )
    wait_for(lambda: reachable(daemon.metrics_url), what="the metrics endpoint")
    uploaded = wait_for(
        lambda: scrape(daemon.metrics_url)["telemetry_capture_uploaded_files_total"],
        what="an uploaded file",
    )
    assert uploaded >= 1
    assert scrape(daemon.metrics_url)["telemetry_capture_upload_failures_total"] == 0
    assert daemon.stop()["upload"]["pending"] == 0
