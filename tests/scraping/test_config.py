"""Site declarations in conf (sources_sites.yml) and their validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pitwall.scraping.config import parse_scraper_config, read_scraper_config


def test_project_conf_declares_the_sandbox_sites() -> None:
    config = read_scraper_config()
    assert {"laps", "standings", "tracks", "live_timing"} <= set(config.sites)
    laps = config.site("laps")
    assert laps.spider == "leaderboard"
    assert laps.table == "scraped_laps"
    assert laps.columns["lap_time_ms"].field == "lap_time"
    assert config.landing_dir.is_absolute()


def test_website_url_and_landing_come_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITWALL_WEBSITE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("PITWALL_SCRAPER_LANDING", "/tmp/elsewhere")
    config = read_scraper_config()
    assert config.site("tracks").start_requests_urls() == ["http://127.0.0.1:9/tracks.html"]
    assert str(config.landing_dir) == "/tmp/elsewhere"


def _block(**site: object) -> dict[str, object]:
    base = {"spider": "table", "start_urls": ["/t.html"], "keys": ["a"], "columns": {"a": "string"}}
    return {"base_url": "http://x", "landing_dir": "l", "sites": {"s": {**base, **site}}}


def test_a_new_table_site_is_pure_config() -> None:
    config = parse_scraper_config(_block(html_table="table", columns={"a": "int", "b": None}))
    site = config.site("s")
    assert site.columns["a"].type == "int"
    assert site.columns["b"].type == "string"
    assert site.table == "scraped_s"


def test_the_old_str_spelling_still_reads_with_a_deprecation_warning() -> None:
    with pytest.warns(DeprecationWarning, match="'str' is deprecated"):
        config = parse_scraper_config(_block(columns={"a": "str"}))
    assert config.site("s").columns["a"].type == "string"


@pytest.mark.parametrize(
    ("site", "message"),
    [
        ({"keys": ["zz"]}, "key columns"),
        ({"rows": "tr", "html_table": "table"}, "either"),
        ({"columns": {"a": {"type": "money"}}}, "type"),
        ({"start_urls": []}, "start_urls"),
    ],
)
def test_bad_declarations_are_rejected(site: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_scraper_config(_block(**site))


def test_unknown_site_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="laps"):
        read_scraper_config().site("nope")
