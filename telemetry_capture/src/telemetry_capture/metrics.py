"""Prometheus metrics of a running capture: ``--metrics HOST:PORT`` serves ``/metrics``.

Values are read from the capture's own counters when Prometheus scrapes (a custom
collector), so the socket loop pays nothing per datagram. Optional extra ``metrics``
(prometheus-client, pure Python): imported only when ``--metrics`` is given.

- ``telemetry_capture_datagrams_received_total``, ``..._decoded_total``,
  ``..._quarantined_total``: the decoder's counts;
- ``telemetry_capture_kernel_drops_total``: datagrams the kernel dropped on the capture's
  sockets (Linux ``/proc/net/udp``), re-read at each scrape;
- ``telemetry_capture_flush_lag_seconds``: how far the loop is behind its scheduled flush to
  the writer (0 while on time; grows if the loop stalls);
- ``telemetry_capture_rows_total{kind}``, ``..._files_written_total``,
  ``..._bytes_written_total``: what reached the journals and the finished Parquet files;
- with ``--upload``: ``telemetry_capture_uploaded_files_total``,
  ``..._upload_failures_total`` and ``..._upload_pending_files``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telemetry_capture.daemon import Capture
    from telemetry_capture.upload import Uploader

__all__ = ["CaptureCollector", "serve_metrics"]

PREFIX = "telemetry_capture"


class CaptureCollector:
    """A prometheus-client collector over a :class:`Capture` (and its uploader, if any)."""

    def __init__(self, capture: Capture, *, uploader: Uploader | None = None) -> None:
        self.capture = capture
        self.uploader = uploader

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        capture = self.capture
        capture.refresh_drops()
        stats, sink = capture.stats, capture.sink
        labels = ["mode", "capture_id"]
        values = [capture.mode, capture.capture_id]

        def counter(name: str, doc: str, value: float) -> CounterMetricFamily:
            family = CounterMetricFamily(f"{PREFIX}_{name}", doc, labels=labels)
            family.add_metric(values, value)
            return family

        yield counter("datagrams_received", "UDP datagrams received", stats.received)
        yield counter("datagrams_decoded", "datagrams decoded into rows", stats.decoded)
        yield counter(
            "datagrams_quarantined", "datagrams kept as quarantine rows", stats.quarantined
        )
        yield counter(
            "kernel_drops", "datagrams the kernel dropped on the sockets", stats.kernel_drops
        )
        lag = GaugeMetricFamily(
            f"{PREFIX}_flush_lag_seconds",
            "seconds the capture loop is behind its scheduled flush (0 when on time)",
            labels=labels,
        )
        lag.add_metric(values, max(0.0, time.monotonic() - sink.next_flush))
        yield lag
        rows = CounterMetricFamily(
            f"{PREFIX}_rows", "rows handed to the writer, by kind", labels=[*labels, "kind"]
        )
        for kind, count in sorted(sink.counters.rows.items()):
            rows.add_metric([*values, kind], count)
        yield rows
        counters = sink.counters
        yield counter("files_written", "finished Parquet files", counters.files_written)
        yield counter("bytes_written", "bytes of finished Parquet files", counters.bytes_written)
        if self.uploader is not None:
            up = self.uploader.counters
            yield counter("uploaded_files", "files stored in the bucket", up.uploaded)
            yield counter("upload_failures", "failed upload attempts", up.failures)
            pending = GaugeMetricFamily(
                f"{PREFIX}_upload_pending_files",
                "completed files not yet in the bucket after the last pass",
                labels=labels,
            )
            pending.add_metric(values, up.pending)
            yield pending


def serve_metrics(
    capture: Capture, address: tuple[str, int], *, uploader: Uploader | None = None
) -> Any:
    """Serve ``/metrics`` on ``address`` in a daemon thread; returns the HTTP server."""
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    registry.register(CaptureCollector(capture, uploader=uploader))
    server, _thread = start_http_server(address[1], addr=address[0], registry=registry)
    return server
