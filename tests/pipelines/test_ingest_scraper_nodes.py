"""The pure nodes of ingest_scraper on hand-made frames."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from pipelines.ingest_scraper.nodes import land_feed_lines, type_scraped_rows
from pitwall.lake.ingest import QUARANTINE_SCHEMA
from pitwall.scraping.config import read_scraper_config
from pitwall.scraping.lake import RAW_SCHEMA, SiteRows
from pitwall.scraping.landing import FEED_LINE_SCHEMA


def _lines(batch: str, kinds: list[str]) -> pl.DataFrame:
    rows = [
        {
            "_batch_id": batch,
            "_source": f"tracks/{batch}.jsonl",
            "_source_row": i + 1,
            "site": "tracks",
            "kind": kind,
            "url": "http://s/tracks.html",
            "reason": None if kind == "record" else f"bad {i}",
            "payload": json.dumps({"track": f"T{i}", "length_km": 1.5, "turns": 3}),
        }
        for i, kind in enumerate(kinds)
    ]
    return pl.DataFrame(rows, schema=FEED_LINE_SCHEMA)


def test_feed_lines_split_into_raw_quarantine_and_one_log_row_per_feed() -> None:
    lines = pl.concat([_lines("a", ["record", "record", "rejected"]), _lines("b", ["record"])])
    batch = land_feed_lines(lines, {"max_rejected_share": 0.5})
    assert batch.markers == ("tracks/a.jsonl", "tracks/b.jsonl")
    assert batch.raw.columns == list(RAW_SCHEMA)
    assert batch.raw.height == 3
    assert batch.quarantine.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert batch.quarantine["reason"].to_list() == ["bad 2"]
    assert batch.quarantine["stage"].to_list() == ["scrape"]
    outcomes = {o.source: o for o in batch.outcomes}
    assert outcomes["tracks/a.jsonl"].status == "partial"
    assert outcomes["tracks/b.jsonl"].status == "ok"
    assert all(o.reconciles for o in batch.outcomes)


def test_a_mostly_rejected_feed_lands_nothing() -> None:
    lines = _lines("a", ["record", "rejected", "rejected", "malformed"])
    batch = land_feed_lines(lines, {"max_rejected_share": 0.5})
    assert batch.raw.is_empty()
    assert batch.quarantine.height == 4
    gated = batch.quarantine.filter(pl.col("_source_row") == 1).row(0, named=True)
    assert gated["reason"].startswith("feed rejected: more than 50%")
    assert gated["stage"] == "land"
    (outcome,) = batch.outcomes
    assert (outcome.status, outcome.rows_in, outcome.rows_quarantined) == ("rejected", 4, 4)


def test_typing_follows_the_site_columns_and_keeps_the_latest_row_per_key() -> None:
    site = read_scraper_config().site("tracks")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    raw = pl.DataFrame(
        [
            ("b1", at, "tracks/1.jsonl", 1, "tracks", "u", '{"track":"Monza","length_km":5.7}'),
            ("b2", at, "tracks/2.jsonl", 1, "tracks", "u", '{"track":"Monza","length_km":5.793}'),
            ("b2", at, "tracks/2.jsonl", 2, "tracks", "u", '{"track":"Imola","turns":19}'),
        ],
        schema=RAW_SCHEMA,
        orient="row",
    )
    pending = SiteRows(site, ("tracks/1.jsonl", "tracks/2.jsonl"), raw)
    typed = type_scraped_rows({"tracks": pending})["tracks"]
    assert typed.markers == pending.markers
    rows = typed.rows.sort("track")
    assert rows.columns[:4] == ["track", "country", "length_km", "turns"]
    assert rows.schema["turns"] == pl.Int64
    assert rows["track"].to_list() == ["Imola", "Monza"]
    assert rows["length_km"].to_list() == [None, 5.793]
