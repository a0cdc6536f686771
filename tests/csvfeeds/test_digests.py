"""Landing files are hashed once per version: unchanged files cost a stat, not a read."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pitwall.csvfeeds.digests import hash_file, read_digest
from pitwall.settings import get_settings


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


def test_a_broken_store_only_costs_hashing(
    home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = home / "data" / "cache" / "landing_digests.sqlite"
    store.parent.mkdir(parents=True)
    store.write_bytes(b"this is not a database" * 100)
    path = tmp_path / "laps.csv"
    path.write_bytes(b"id\n1\n")
    with caplog.at_level(logging.WARNING, logger="pitwall.csvfeeds.digests"):
        assert read_digest(path) == hash_file(path)
    assert "digest store unusable" in caplog.text


def test_a_home_that_cannot_hold_the_store_only_costs_hashing(
    home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (home / "data").mkdir(parents=True)
    (home / "data" / "cache").write_text("a file where the store's folder should be")
    path = tmp_path / "laps.csv"
    path.write_bytes(b"id\n1\n")
    with caplog.at_level(logging.WARNING, logger="pitwall.csvfeeds.digests"):
        assert read_digest(path) == hash_file(path)
    assert "digest store unusable" in caplog.text
