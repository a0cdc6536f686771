"""The sandbox website: deterministic pages, robots.txt, broken and JS pages, served on loopback."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
from parsel import Selector

from sandbox.website import PRIVATE_LAP_PATH, build_site, serve_website


def test_site_is_deterministic_and_scales_to_benchmark_size() -> None:
    assert build_site(pages=30) == build_site(pages=30)
    big = build_site(pages=2000, per_page=20)
    assert sum(p.startswith("/laps/") for p in big) == 2000
    assert sum(p.startswith("/leaderboard/") for p in big) == 100


def test_leaderboard_paginates_and_links_every_lap() -> None:
    site = build_site(pages=45, per_page=20)
    linked: set[str] = set()
    path: str | None = "/leaderboard/page-1.html"
    visited = 0
    while path and visited < 10:
        page = Selector(text=site[path].body.decode())
        linked.update(h.split("?")[0] for h in page.css("td.driver a::attr(href)").getall())
        path = page.css("a.next::attr(href)").get()
        visited += 1
    assert visited == 3
    assert {f"/laps/L{i:05d}.html" for i in range(1, 46)} | {PRIVATE_LAP_PATH} == linked


def test_broken_lap_page_lacks_driver_and_has_malformed_times() -> None:
    page = Selector(text=build_site()["/laps/L00005.html"].body.decode())
    assert page.css("dd.driver").get() is None
    assert "x" in page.css("dd.lap-time::text").get("")
    assert page.css("span.s2::text").get() == "n/a"


def test_served_site_over_loopback() -> None:
    with serve_website(pages=25) as base_url, httpx.Client(base_url=base_url) as client:
        robots = client.get("/robots.txt")
        assert robots.status_code == 200
        assert "Disallow: /private/" in robots.text
        assert client.get("/laps/L00025.html").status_code == 200
        assert client.get("/laps/L00026.html").status_code == 404
        assert client.get("/laps/L00001.html?from=page-2").status_code == 200
        timing = client.get("/live/timing.html")
        assert Selector(text=timing.text).css("#timing tbody tr").getall() == []
        assert len(json.loads(client.get("/live/timing.json").text)) == 12


def test_python_m_sandbox_website_serves_until_stopped() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.website", "--port", "0", "--pages", "5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = line.split(" on ", 1)[1].split()[0]
        assert httpx.get(f"{url}/tracks.html").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
