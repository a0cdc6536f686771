"""``kedro viz build`` (run into a temporary directory) over a lake holding all four sources
lists every pipeline, shows every lake table as its own dataset (with its preview and the node
that writes it) in the layers landing -> raw -> quarantine -> clean -> mirror; the static site
renders the flowchart in headless Chromium."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from pitwall.dashboards.serve import build_lineage, serve_static
from tests.four_sources import INGESTS, Platform, running_platform

REPO = Path(__file__).resolve().parents[1]
LAYERS = ["landing", "raw", "quarantine", "clean", "mirror", "maintenance"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TABLE_LAYERS = ("raw", "clean", "quarantine")


@pytest.fixture(scope="module")
def viz_build(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Platform]]:
    """A lake with all four sources ingested, and the lineage built over it."""
    root = tmp_path_factory.mktemp("viz")
    with running_platform(root) as platform:
        platform.run(*INGESTS)
        env = {
            key: platform.env[key]
            for key in platform.env
            if key.startswith(("PITWALL_", "AWS_")) and key not in os.environ
        }
        env.update(PITWALL_LAKE_URI=platform.lake.root)
        # previews must not start or bootstrap any PostgreSQL: the mirror's preview fails fast
        env["PITWALL_PG_DSN"] = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
        output = tmp_path_factory.mktemp("lineage") / "viz"
        yield build_lineage(output, home=REPO, env={**platform.env, **env}), platform


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def _registered_pipelines() -> set[str]:
    from pipelines.pipeline_registry import register_pipelines

    return set(register_pipelines())


def _datasets(build: Path) -> dict[str, dict[str, Any]]:
    main = _json(build / "api" / "main")
    return {n["name"]: n for n in main["nodes"] if n["type"] == "data"}


def test_build_lists_every_pipeline(viz_build: tuple[Path, Platform]) -> None:
    build, _ = viz_build
    main = _json(build / "api" / "main")
    listed = {p["id"] for p in main["pipelines"]}
    assert listed == _registered_pipelines()
    assert {"ingest_csv", "mirror_postgres", "__default__"} <= listed
    for pipeline in listed:
        detail = _json(build / "api" / "pipelines" / pipeline)
        assert detail["nodes"], pipeline
    assert (build / "index.html").is_file()


def test_every_lake_table_is_its_own_dataset_with_its_writer_and_preview(
    viz_build: tuple[Path, Platform],
) -> None:
    build, platform = viz_build
    datasets = _datasets(build)
    in_lake = {f"{layer}.{t}" for layer in TABLE_LAYERS for t in platform.tables(layer)}
    shown = {name for name in datasets if name.split(".", 1)[0] in TABLE_LAYERS}
    assert len(in_lake) >= 40
    assert in_lake <= shown, sorted(in_lake - shown)
    edges = _json(build / "api" / "pipelines" / "__default__")["edges"]
    written = {e["target"] for e in edges if e["target"] in {n["id"] for n in datasets.values()}}
    for name in sorted(in_lake):
        node = datasets[name]
        assert node["layer"] == name.split(".", 1)[0], name
        if name != "raw.ingestion_log":  # written by every landing's commit path
            assert node["id"] in written, f"{name}: no node writes it"
        detail = _json(build / "api" / "nodes" / node["id"])
        assert detail["preview_type"] == "TablePreview", name
        assert detail["preview"]["data"], f"{name}: empty preview"


def test_build_shows_the_layers_in_order(viz_build: tuple[Path, Platform]) -> None:
    build, _ = viz_build
    main = _json(build / "api" / "main")
    assert sorted(main["layers"]) == sorted(LAYERS)
    order = {layer: main["layers"].index(layer) for layer in LAYERS}
    assert order["landing"] < order["raw"] < min(order["clean"], order["quarantine"])
    assert main["layers"][-1] == "mirror"
    datasets = [n for n in main["nodes"] if n["type"] == "data"]
    unlayered = [
        n["name"]
        for n in datasets
        if n.get("layer") is None and "MemoryDataset" not in (n.get("dataset_type") or "")
    ]
    assert unlayered == []
    by_layer = {layer: {n["name"] for n in datasets if n.get("layer") == layer} for layer in LAYERS}
    assert "landing.csv.cars" in by_layer["landing"]
    assert "raw.csv_cars" in by_layer["raw"]
    assert "quarantine.csv_cars" in by_layer["quarantine"]
    assert "clean.cars" in by_layer["clean"]
    assert "postgres_mirror" in by_layer["mirror"]
    node_names = {n["name"] for n in main["nodes"] if n["type"] == "task"}
    assert {"land_raw_csv_cars", "build_clean_csv_cars", "build_clean_assetto"} <= node_names


def test_static_site_renders_the_flowchart(viz_build: tuple[Path, Platform]) -> None:
    build, _ = viz_build
    artifacts = REPO / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    with serve_static(build) as base, sync_playwright() as playwright:
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
            page.get_by_text("clean.cars").first.wait_for(timeout=30_000)
            page.wait_for_timeout(2_000)  # the flowchart fades in
            page.screenshot(path=str(artifacts / "kedro_viz.png"))
        finally:
            browser.close()
