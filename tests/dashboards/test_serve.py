"""Serving helpers: static lineage site, app URLs, failed builds, atomic directory swap."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pitwall.dashboards import serve


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
