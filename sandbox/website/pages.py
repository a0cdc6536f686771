"""HTML of the sandbox website, generated up front into a path -> page map.

Layout::

    /robots.txt                       disallows /private/
    /leaderboard/page-<n>.html        paginated hotlap leaderboard (links to lap pages)
    /laps/<lap_id>.html               lap detail; lap L00005 is deliberately broken
    /private/laps/P00001.html         a lap only reachable if robots.txt is ignored
    /standings/page-<n>.html          championship standings as div rows (paginated)
    /tracks.html                      plain HTML table
    /live/timing.html                 live timing, rendered in the browser from timing.json
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from html import escape

from sandbox.website.content import (
    TRACKS,
    Lap,
    Standing,
    TimingRow,
    format_lap_time,
    make_laps,
    make_standings,
    make_timing,
)

HTML = "text/html; charset=utf-8"
ROBOTS_TXT = "User-agent: *\nDisallow: /private/\n"
PRIVATE_LAP_PATH = "/private/laps/P00001.html"


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    content_type: str = HTML


def _document(title: str, body: str, *, head: str = "") -> Page:
    html = (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title>{head}</head>\n<body>\n"
        f"<nav><a href='/'>Pitwall Sim League</a></nav>\n<h1>{escape(title)}</h1>\n{body}\n"
        "</body></html>\n"
    )
    return Page(html.encode())


def _next_link(href: str | None) -> str:
    return f"<a class='next' rel='next' href='{href}'>Next page</a>" if href else ""


def _leaderboard_row(lap: Lap, *, href: str, css: str = "lap") -> str:
    return (
        f"<tr class='{css}'><td class='pos'>{lap.position}</td>"
        f"<td class='driver'><a href='{href}'>{escape(lap.driver)}</a></td>"
        f"<td class='car'>{escape(lap.car)}</td>"
        f"<td class='time'>{format_lap_time(lap.lap_time_ms)}</td></tr>"
    )


def leaderboard_pages(laps: list[Lap], *, per_page: int) -> dict[str, Page]:
    """Listing pages. From page 2 on, the first row repeats the previous page's last lap
    (through a tracking query string), as paginated sites often do."""
    count = max(1, math.ceil(len(laps) / per_page))
    pages: dict[str, Page] = {}
    for number in range(1, count + 1):
        chunk = laps[(number - 1) * per_page : number * per_page]
        rows = []
        if number > 1:
            prev = laps[(number - 1) * per_page - 1]
            rows.append(_leaderboard_row(prev, href=f"/laps/{prev.lap_id}.html?from=page-{number}"))
        rows += [_leaderboard_row(lap, href=f"/laps/{lap.lap_id}.html") for lap in chunk]
        if number == 1:
            rows.append(
                "<tr class='lap pending'><td class='pos'>-</td><td class='driver'>"
                f"<a href='{PRIVATE_LAP_PATH}'>Pending verification</a></td>"
                "<td class='car'></td><td class='time'></td></tr>"
            )
        next_href = f"/leaderboard/page-{number + 1}.html" if number < count else None
        body = (
            f"<p class='meta'>Track: {escape(laps[0].track if laps else '')} - "
            f"page {number} of {count}</p>\n<table class='leaderboard'><thead><tr>"
            "<th>Pos</th><th>Driver</th><th>Car</th><th>Lap time</th></tr></thead><tbody>\n"
            + "\n".join(rows)
            + f"\n</tbody></table>\n{_next_link(next_href)}"
        )
        pages[f"/leaderboard/page-{number}.html"] = _document(f"Hotlap leaderboard {number}", body)
    return pages


def lap_page(lap: Lap) -> Page:
    """A lap's detail page; the broken lap lacks its driver and has malformed times."""
    s1, s2, s3 = (format_lap_time(s) for s in lap.sectors_ms)
    lap_time = format_lap_time(lap.lap_time_ms)
    driver = f"<dt>Driver</dt><dd class='driver'>{escape(lap.driver)}</dd>"
    if lap.broken:
        lap_time, s2, driver = f"{lap_time[:3]}x{lap_time[4:]}", "n/a", ""
    body = (
        f"<article class='lap' data-lap-id='{lap.lap_id}'><dl>\n"
        f"<dt>Lap</dt><dd class='lap-id'>{lap.lap_id}</dd>\n{driver}\n"
        f"<dt>Nationality</dt><dd class='nationality'>{lap.nationality}</dd>\n"
        f"<dt>Car</dt><dd class='car'>{escape(lap.car)}</dd>\n"
        f"<dt>Track</dt><dd class='track'>{escape(lap.track)}</dd>\n"
        f"<dt>Lap time</dt><dd class='lap-time'>{lap_time}</dd>\n"
        f"<dt>Sectors</dt><dd class='sectors'><span class='s1'>{s1}</span> "
        f"<span class='s2'>{s2}</span> <span class='s3'>{s3}</span></dd>\n"
        f"<dt>Set on</dt><dd class='set-on'><time datetime='{lap.set_on.isoformat()}'>"
        f"{lap.set_on:%d %b %Y}</time></dd>\n</dl></article>"
    )
    return _document(f"Lap {lap.lap_id}", body)


def standings_pages(standings: list[Standing], *, per_page: int = 10) -> dict[str, Page]:
    """Standings as ``div.row`` blocks with relative ``page-<n>.html`` next links."""
    count = max(1, math.ceil(len(standings) / per_page))
    pages: dict[str, Page] = {}
    for number in range(1, count + 1):
        chunk = standings[(number - 1) * per_page : number * per_page]
        rows = "\n".join(
            f"<div class='row'><span class='pos'>{s.position}</span>"
            f"<span class='driver'>{escape(s.driver)}</span>"
            f"<span class='team'>{escape(s.team)}</span>"
            f"<span class='points'>{s.points} pts</span><span class='wins'>{s.wins}</span></div>"
            for s in chunk
        )
        next_href = f"page-{number + 1}.html" if number < count else None
        body = f"<div class='standings'>\n{rows}\n</div>\n{_next_link(next_href)}"
        pages[f"/standings/page-{number}.html"] = _document(f"Standings {number}", body)
    return pages


def tracks_page() -> Page:
    rows = "\n".join(
        f"<tr><td>{escape(name)}</td><td>{country}</td><td>{length:.3f}</td><td>{turns}</td></tr>"
        for name, country, length, turns in TRACKS
    )
    body = (
        "<table id='tracks'><thead><tr><th>Track</th><th>Country</th><th>Length (km)</th>"
        f"<th>Turns</th></tr></thead>\n<tbody>\n{rows}\n</tbody></table>"
    )
    return _document("Tracks", body)


TIMING_JS = """\
fetch("/live/timing.json").then((r) => r.json()).then((rows) => {
  const body = document.querySelector("#timing tbody");
  for (const row of rows) {
    const tr = document.createElement("tr");
    tr.className = "car";
    for (const key of ["position", "car_number", "driver", "laps", "best_lap", "gap"]) {
      const td = document.createElement("td");
      td.className = key.replace("_", "-");
      td.textContent = row[key];
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  document.body.dataset.ready = "1";
});
"""


def timing_pages(rows: list[TimingRow]) -> dict[str, Page]:
    """An empty table filled in by ``timing.js`` from ``timing.json``."""
    body = (
        "<table id='timing'><thead><tr><th>Pos</th><th>No.</th><th>Driver</th><th>Laps</th>"
        "<th>Best</th><th>Gap</th></tr></thead><tbody></tbody></table>\n"
        "<script src='/live/timing.js'></script>"
    )
    data = [
        {
            "position": r.position,
            "car_number": r.car_number,
            "driver": r.driver,
            "laps": r.laps,
            "best_lap": format_lap_time(r.best_lap_ms),
            "gap": r.gap,
        }
        for r in rows
    ]
    return {
        "/live/timing.html": _document("Live timing", body),
        "/live/timing.js": Page(TIMING_JS.encode(), "text/javascript; charset=utf-8"),
        "/live/timing.json": Page(json.dumps(data).encode(), "application/json"),
    }


def index_page() -> Page:
    body = (
        "<ul>"
        "<li><a href='/leaderboard/page-1.html'>Hotlap leaderboard</a></li>"
        "<li><a href='/standings/page-1.html'>Standings</a></li>"
        "<li><a href='/tracks.html'>Tracks</a></li>"
        "<li><a href='/live/timing.html'>Live timing</a></li>"
        "<li><a href='/private/'>Staff area</a></li>"
        "</ul>"
    )
    return _document("Pitwall Sim League", body)


def build_site(*, pages: int = 60, per_page: int = 20, standings: int = 30) -> dict[str, Page]:
    """Every page of the site by path.

    Args:
        pages: number of leaderboard laps, i.e. lap detail pages (listing pages come on top:
            one per ``per_page`` laps).
        per_page: leaderboard rows per listing page.
        standings: number of drivers in the standings (10 per page).
    """
    laps = make_laps(pages)
    private_lap = replace(make_laps(1, seed=99)[0], lap_id="P00001")
    site: dict[str, Page] = {
        "/": index_page(),
        "/robots.txt": Page(ROBOTS_TXT.encode(), "text/plain; charset=utf-8"),
        "/tracks.html": tracks_page(),
        "/private/": _document("Staff area", f"<a href='{PRIVATE_LAP_PATH}'>Pending</a>"),
        PRIVATE_LAP_PATH: lap_page(private_lap),
        **leaderboard_pages(laps, per_page=per_page),
        **standings_pages(make_standings(standings)),
        **timing_pages(make_timing(12)),
    }
    site.update({f"/laps/{lap.lap_id}.html": lap_page(lap) for lap in laps})
    return site
