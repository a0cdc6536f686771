"""``kedro viz build`` (run into a temporary directory) lists every pipeline, shows the layers
landing -> raw -> clean -> mirror and embeds previews of our Delta datasets; the static site
renders the flowchart in headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from pitwall.dashboards.serve import build_lineage, serve_static

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["landing", "raw", "clean", "mirror"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def viz_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A lake with the sample CSV feeds ingested, and the lineage built over it."""
    home = Path(tempfile.mkdtemp(prefix="pitwall-viz-"))
    (home / "conf").symlink_to(REPO / "conf")
    landing = home / "landing" / "csv"
    shutil.copytree(REPO / "data" / "samples" / "csv", landing)
    env = {
        "PITWALL_HOME": str(home),
        "PITWALL_LAKE_URI": str(home / "data" / "lake"),
        "PITWALL_CSV_LANDING": str(landing),
        # previews must not start or bootstrap any PostgreSQL: the mirror's preview fails fast
        "PITWALL_PG_DSN": "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
    }
    ingest = subprocess.run(
        [str(Path(sys.executable).parent / "kedro"), "run", "--pipeline", "ingest_csv"],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    output = tmp_path_factory.mktemp("lineage") / "viz"
    try:
        yield build_lineage(output, home=REPO, env=env)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _registered_pipelines() -> set[str]:
    from pipelines.pipeline_registry import register_pipelines

    return set(register_pipelines())


def test_build_lists_every_pipeline(viz_build: Path) -> None:
    main = _json(viz_build / "api" / "main")
    listed = {p["id"] for p in main["pipelines"]}
    assert listed == _registered_pipelines()
    assert {"ingest_csv", "mirror_postgres", "__default__"} <= listed
    for pipeline in listed:
        detail = _json(viz_build / "api" / "pipelines" / pipeline)
        assert detail["nodes"], pipeline
    assert (viz_build / "index.html").is_file()


def test_build_shows_the_layers_in_order(viz_build: Path) -> None:
    main = _json(viz_build / "api" / "main")
    assert main["layers"] == LAYERS
    datasets = [n for n in main["nodes"] if n["type"] == "data"]
    unlayered = [
        n["name"]
        for n in datasets
        if n.get("layer") is None and "MemoryDataset" not in (n.get("dataset_type") or "")
    ]
    assert unlayered == []
    by_layer = {layer: {n["name"] for n in datasets if n.get("layer") == layer} for layer in LAYERS}
    assert "csv_landing" in by_layer["landing"]
    assert "csv_raw" in by_layer["raw"]
    assert "csv_clean" in by_layer["clean"]
    assert "postgres_mirror" in by_layer["mirror"]


def test_build_embeds_previews_of_the_delta_datasets(viz_build: Path) -> None:
    main = _json(viz_build / "api" / "main")
    ids = {n["name"]: n["id"] for n in main["nodes"] if n["type"] == "data"}
    for name in ("csv_raw", "csv_clean"):
        node = _json(viz_build / "api" / "nodes" / ids[name])
        assert node["preview_type"] == "TablePreview", name
        assert node["preview"]["columns"] == ["table", "rows"], name
        rows = dict(node["preview"]["data"])
        layer = name.removeprefix("csv_")
        assert rows[f"{layer}.{'cars' if layer == 'clean' else 'csv_cars'}"] == 14, rows


def test_static_site_renders_the_flowchart(viz_build: Path) -> None:
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with serve_static(viz_build) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.goto(base + "/")
            nodes = page.locator(".pipeline-node")
            deadline = time.monotonic() + 90
            while nodes.count() == 0 and time.monotonic() < deadline:
                page.wait_for_timeout(250)
            assert nodes.count() > 0
            page.get_by_text("csv_clean").first.wait_for(timeout=30_000)
            page.wait_for_timeout(2_000)  # the flowchart fades in
            page.screenshot(path=str(artifacts / "kedro_viz.png"))
        finally:
            browser.close()
