"""Serving helpers: static lineage site, app URLs, failed builds, atomic directory swap."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pitwall.dashboards import serve
from pitwall.lake.layout import Lake


def test_static_site_is_served_on_an_ephemeral_port(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html>lineage</html>")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "main").write_text('{"pipelines": []}')
    with serve.serve_static(tmp_path) as base:
        assert not base.endswith(":0")
        assert httpx.get(f"{base}/").text == "<html>lineage</html>"
        assert httpx.get(f"{base}/api/main").json() == {"pipelines": []}
        assert httpx.get(f"{base}/missing").status_code == 404
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/", timeout=2)


def test_static_site_needs_a_build(tmp_path: Path) -> None:
    with pytest.raises(serve.DashboardError, match=r"index\.html"), serve.serve_static(tmp_path):
        pass


def test_app_urls_point_at_each_notebook() -> None:
    urls = serve.app_urls("http://127.0.0.1:9")
    assert urls == {name: f"http://127.0.0.1:9/?file={name}.py" for name in serve.APPS}
    repo = Path(__file__).resolve().parents[2]
    assert all((repo / "notebooks" / f"{name}.py").is_file() for name in serve.APPS)


def test_failed_lineage_build_raises_and_keeps_the_previous_one(tmp_path: Path) -> None:
    home = tmp_path / "not-a-project"
    (home / "src").mkdir(parents=True)
    output = tmp_path / "viz"
    output.mkdir()
    (output / "index.html").write_text("previous build")
    with pytest.raises(serve.DashboardError, match="kedro viz build failed"):
        serve.build_lineage(output, home=home, timeout_s=120)
    assert (output / "index.html").read_text() == "previous build"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-project", "viz"]


def test_replace_dir_swaps_contents(tmp_path: Path) -> None:
    target, new = tmp_path / "viz", tmp_path / "new"
    target.mkdir()
    (target / "old.txt").write_text("old")
    new.mkdir()
    (new / "index.html").write_text("new")
    serve._replace_dir(new, target)
    assert [p.name for p in target.iterdir()] == ["index.html"]
    assert not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["viz"]


def test_cli_serves_the_apps_and_stops_them_on_sigterm(tmp_path: Path, ac_lake: Lake) -> None:
    out = tmp_path / "serve.out"
    env = {**os.environ, "PITWALL_LAKE_URI": ac_lake.root}
    command = [sys.executable, "-m", "pitwall.dashboards.serve", "--apps-port", "0",
               "--lineage-port", "0", "--no-build"]  # fmt: skip
    with out.open("w") as sink:
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 120
        while "sql_explorer:" not in out.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, out.read_text()
            time.sleep(0.2)
        urls = dict(
            line.strip().split(": ", 1) for line in out.read_text().splitlines() if ": http" in line
        )
        assert set(urls) == set(serve.APPS)
        base = urls["lap_analysis"].split("/?", 1)[0]
        assert httpx.get(f"{base}/health", timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/health", timeout=2)
