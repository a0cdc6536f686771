"""The feed storage publishes a crawl's JSONL file atomically."""

from __future__ import annotations

from pathlib import Path

from scrapy import Spider

from pitwall.scraping.feeds import AtomicFileFeedStorage, new_crawl_id


def test_feed_is_invisible_until_stored_then_renamed(tmp_path: Path) -> None:
    final = tmp_path / "laps" / "crawl-1.jsonl"
    storage = AtomicFileFeedStorage(final.as_uri())
    handle = storage.open(Spider(name="t"))
    handle.write(b'{"kind": "record"}\n')
    assert not final.exists()
    assert [p.name for p in final.parent.iterdir()] == [".crawl-1.jsonl.part"]
    storage.store(handle)
    assert final.read_bytes() == b'{"kind": "record"}\n'
    assert [p.name for p in final.parent.iterdir()] == ["crawl-1.jsonl"]


def test_crawl_ids_sort_by_time_and_do_not_collide() -> None:
    ids = [new_crawl_id() for _ in range(50)]
    assert len(set(ids)) == 50
    assert ids == sorted(ids, key=lambda i: i.split("-")[0])
