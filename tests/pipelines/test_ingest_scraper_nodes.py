"""The pure transformations of ingest_scraper on hand-made frames."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from pitwall.lake.ingest import QUARANTINE_SCHEMA
from pitwall.lake.txn import Unmerged
from pitwall.scraping.config import read_scraper_config
from pitwall.scraping.lake import ScrapedFeed, feed_batch, split_site_rows, type_site_records
from pitwall.scraping.landing import FEED_LINE_SCHEMA

AT = datetime(2026, 1, 1, tzinfo=UTC)


def _lines(batch: str, kinds: list[str], *, seq: int = 1) -> pl.DataFrame:
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
    frame = pl.DataFrame(rows, schema=FEED_LINE_SCHEMA)
    return frame.with_columns(_ingested_at=pl.lit(AT), _batch_seq=pl.lit(seq, pl.Int64))


def _pending(frame: pl.DataFrame) -> Unmerged:
    top = int(frame["_batch_seq"].max())  # type: ignore[arg-type]
    return Unmerged("scraper_tracks", frame.lazy(), 0, top, frame.lazy())


def test_a_feed_file_is_one_raw_batch_of_all_its_lines() -> None:
    lines = _lines("a", ["record", "rejected", "malformed"]).drop("_ingested_at", "_batch_seq")
    batch = feed_batch(ScrapedFeed("tracks", "a", "tracks/a.jsonl", AT, lines=lines))
    assert batch.table == "scraper_tracks" and batch.source == "tracks/a.jsonl"
    assert batch.rows is not None and batch.rows.height == 3  # type: ignore[union-attr]
    failed = feed_batch(ScrapedFeed("tracks", "c", "tracks/crawl", AT, error="crawl failed: x"))
    assert failed.rows is None and failed.error == "crawl failed: x"


def test_lines_split_into_quarantine_and_typed_rows() -> None:
    site = read_scraper_config().site("tracks")
    lines = pl.concat(
        [_lines("a", ["record", "record", "rejected"]), _lines("b", ["record"], seq=2)]
    )
    quarantine, clean = split_site_rows(_pending(lines), site=site, max_rejected_share=0.5)
    assert quarantine.rows.schema == pl.Schema(QUARANTINE_SCHEMA)
    assert quarantine.rows["reason"].to_list() == ["bad 2"]
    assert quarantine.rows["stage"].to_list() == ["scrape"]
    assert set(quarantine.batches) == {"a", "b"}
    assert clean.merged == {"scraper_tracks": 2} and clean.after == {"scraper_tracks": 0}
    assert clean.rows.height == 2  # T0 (a and b) once, T1


def test_a_mostly_rejected_feed_lands_nothing() -> None:
    site = read_scraper_config().site("tracks")
    lines = _lines("a", ["record", "rejected", "rejected", "malformed"])
    quarantine, clean = split_site_rows(_pending(lines), site=site, max_rejected_share=0.5)
    assert clean.rows.is_empty()
    assert quarantine.rows.height == 4
    gated = quarantine.rows.filter(pl.col("_source_row") == 1).row(0, named=True)
    assert gated["reason"].startswith("feed rejected: more than 50%")
    assert gated["stage"] == "gate"
    assert sorted(quarantine.rows["stage"].to_list()) == ["gate", "parse", "scrape", "scrape"]


def test_typing_follows_the_site_columns_and_keeps_the_latest_row_per_key() -> None:
    site = read_scraper_config().site("tracks")
    raw = pl.DataFrame(
        [
            ("b1", AT, "u", '{"track":"Monza","length_km":5.7}'),
            ("b2", AT, "u", '{"track":"Monza","length_km":5.793}'),
            ("b2", AT, "u", '{"track":"Imola","turns":19}'),
        ],
        schema={
            "_batch_id": pl.String,
            "_ingested_at": pl.Datetime("us", "UTC"),
            "url": pl.String,
            "payload": pl.String,
        },
        orient="row",
    )
    rows = type_site_records(raw, site=site).sort("track")
    assert rows.columns[:4] == ["track", "country", "length_km", "turns"]
    assert rows.schema["turns"] == pl.Int64
    assert rows["track"].to_list() == ["Imola", "Monza"]
    assert rows["length_km"].to_list() == [None, 5.793]


def test_declared_constraints_quarantine_scraped_records() -> None:
    base = read_scraper_config().site("tracks")
    columns = {
        **base.columns,
        "length_km": base.columns["length_km"].model_copy(update={"min": 1.0, "max": 30.0}),
    }
    site = base.model_copy(update={"columns": columns})
    lines = _lines("a", ["record", "record"]).with_columns(
        pl.Series("payload", ['{"track":"T0","length_km":5.7}', '{"track":"T1","length_km":999}'])
    )
    quarantine, clean = split_site_rows(_pending(lines), site=site, max_rejected_share=0.9)
    assert clean.rows["track"].to_list() == ["T0"]
    assert quarantine.rows.select("stage", "reason").rows() == [
        ("type", "column length_km: constraint max 30.0 violated by 999.0")
    ]
