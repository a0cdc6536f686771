"""The demo's per-pipeline Kedro progress, read from Kedro's own log lines: a node's time
runs from the loading of its inputs (where our datasets do real work) to its completion."""

from __future__ import annotations

import pytest

from sandbox.demo import kedro_job
from sandbox.demo.kedro_job import PipelineRun, RunClock, _on_line

LOG = [  # (seconds since start, line) as the plain-text logging config writes them
    (13.0, "INFO kedro.io.data_catalog: Loading data from csv_landing (CsvLandingDataset)..."),
    (13.5, "INFO kedro.pipeline.node: Running node: land_csv_raw: plan([csv_landing]) -> [raw]"),
    (14.0, "INFO kedro.runner.sequential_runner: Completed node: land_csv_raw"),
    (14.1, "INFO kedro.io.data_catalog: Loading data from scraper_feeds (FeedsDataset)..."),
    (14.2, "INFO kedro.io.data_catalog: Loading data from params:x (MemoryDataset)..."),
    (40.1, "INFO kedro.pipeline.node: Running node: land_scraper_raw: land([feeds]) -> [raw]"),
    (40.2, "INFO kedro.runner.sequential_runner: Completed node: land_scraper_raw"),
    (40.3, "INFO kedro.pipeline.node: Running node: build_csv_clean: type([raw]) -> [clean]"),
    (41.3, "INFO kedro.runner.sequential_runner: Completed node: build_csv_clean"),
]


def test_node_times_count_input_loading_and_add_up_per_pipeline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owners = {
        "land_csv_raw": "ingest_csv",
        "build_csv_clean": "ingest_csv",
        "land_scraper_raw": "ingest_scraper",
    }
    runs = {name: PipelineRun(name, 0) for name in ("ingest_csv", "ingest_scraper")}
    clock = RunClock()
    for at, line in LOG:
        monkeypatch.setattr(kedro_job.time, "perf_counter", lambda at=at: at)
        _on_line(line, owners=owners, runs=runs, clock=clock)
    assert runs["ingest_scraper"].done == 1
    assert runs["ingest_scraper"].seconds == pytest.approx(26.1)  # the crawl in its load
    assert runs["ingest_csv"].done == 2
    assert runs["ingest_csv"].seconds == pytest.approx(1.0 + 1.0)
    assert clock.first_node_at == 13.0
