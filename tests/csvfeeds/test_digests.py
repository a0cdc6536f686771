"""Landing files are hashed once per version: unchanged files cost a stat, not a read; a file
that cannot be listed is skipped alone."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

from pitwall.csvfeeds.digests import DigestStore, hash_file, read_digest
from pitwall.lake.layout import Lake
from pitwall.settings import get_settings
from tests.csvfeeds.helpers import LAP_HEADER, lap_feed, run_ingest_csv


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PITWALL_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield tmp_path / "home"
    get_settings.cache_clear()


def _rewrite_keeping_stamp(path: Path, data: bytes) -> None:
    stat = path.stat()
    with path.open("r+b") as f:  # same inode, same size
        f.write(data)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_an_unchanged_file_is_not_read_again(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "laps.csv"
    path.write_bytes(b"id\n1\n")
    first = read_digest(path)
    assert first == hash_file(path)
    # same size, inode and mtime: the store answers without reading (the documented trade-off)
    _rewrite_keeping_stamp(path, b"id\n2\n")
    assert read_digest(path) == first
    assert (home / "data" / "cache" / "landing_digests.sqlite").is_file()


def test_a_rewritten_file_gets_its_new_digest(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "laps.csv"
    path.write_bytes(b"id\n1\n")
    first = read_digest(path)
    path.write_bytes(b"id\n1\n2\n")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000))
    assert read_digest(path) == hash_file(path) != first


def _broken_store(home: Path) -> None:
    store = home / "data" / "cache" / "landing_digests.sqlite"
    store.parent.mkdir(parents=True)
    store.write_bytes(b"this is not a database" * 100)


def _cache_folder_taken(home: Path) -> None:  # a file where the store's folder should be
    (home / "data").mkdir(parents=True)
    (home / "data" / "cache").write_text("a file where the store's folder should be")


@pytest.mark.parametrize("spoil", [_broken_store, _cache_folder_taken])
def test_an_unusable_store_only_costs_hashing(
    spoil: Callable[[Path], None], home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spoil(home)
    path = tmp_path / "laps.csv"
    path.write_bytes(b"id\n1\n")
    with caplog.at_level(logging.WARNING, logger="pitwall.csvfeeds.digests"):
        assert read_digest(path) == hash_file(path)
    assert "digest store unusable" in caplog.text


def test_a_file_gone_while_listed_is_skipped_and_the_rest_land(
    tmp_path: Path, lake: Lake, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An uploader moves a file away between the folder listing and its digest: that file
    waits for a later run (a real FileNotFoundError), the feed's other files land now."""
    landing = tmp_path / "landing"
    landing.mkdir()
    for name, entry in (("a.csv", "a-1"), ("b.csv", "b-1")):
        (landing / name).write_text(f"{LAP_HEADER}\n{entry},Ann,1,90.5,true,2026-03-01T12:00:00Z\n")

    read = DigestStore.read

    def moved_away_first(store: DigestStore, path: Path) -> str:
        if path.name == "a.csv":
            path.unlink()
        return read(store, path)

    monkeypatch.setattr(DigestStore, "read", moved_away_first)
    with caplog.at_level(logging.WARNING, logger="pitwall.csvfeeds.files"):
        run_ingest_csv({"laps": lap_feed(str(landing / "*.csv"))}, lake=lake)
    assert "a.csv skipped this run" in caplog.text
    clean = pl.read_delta(lake.table_uri("clean", "laps"))
    assert clean["entry_id"].to_list() == ["b-1"]
