"""Hostile cases that need their own feed or a hand in the middle of a run."""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest_csv.nodes import land_csv_files
from pitwall.csvfeeds import landing as landing_module
from pitwall.csvfeeds.datasets import CsvLandingDataset
from pitwall.csvfeeds.digests import DigestStore
from pitwall.lake.commit import commit_raw
from pitwall.lake.delta import scan_table
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from tests.csvfeeds.helpers import run_ingest_csv

from .corpus import HEADER, feed, row, rows, text, truncated_gzip
from .test_reconciliation import _original


def _landing(tmp_path: Path, files: dict[str, bytes]) -> str:
    folder = tmp_path / "landing"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return str(folder / "*.csv*")


def test_declared_date_format_reads_day_first(tmp_path: Path, lake: Lake) -> None:
    spec = feed(
        _landing(
            tmp_path, {"d.csv": text([row("d-0", day="05/03/2020"), row("d-1", day="2020-03-06")])}
        )
    )
    spec["columns"] = {**spec["columns"], "day": {"type": "date", "format": "%d/%m/%Y"}}
    run_ingest_csv({"dated": spec}, lake=lake)
    clean = scan_table(lake.table_uri("clean", "hostile_laps")).collect()
    assert clean.select("entry_id", "day").rows() == [("d-0", date(2020, 3, 5))]
    reason = scan_table(lake.table_uri("quarantine", "csv_dated")).collect().item(0, "reason")
    assert reason == "column day: cannot parse 2020-03-06 as date"  # the format is not guessed


def test_long_reject_of_the_fast_reader_is_kept_whole(tmp_path: Path, lake: Lake) -> None:
    lines = rows("fast", 3)
    long_bad = row("fast-9", driver="y" * 200_000) + ",surplus"  # too many fields, no quote
    spec = feed(_landing(tmp_path, {"f.csv": text([*lines, long_bad])}))
    run_ingest_csv({"fast": spec}, lake=lake)
    held = scan_table(lake.table_uri("quarantine", "csv_fast")).collect()
    assert held.height == 1 and "TOO MANY COLUMNS" in held.item(0, "reason")
    assert _original(held.item(0, "record"), lake=lake) == long_bad.encode()


def test_file_rewritten_while_read_is_rejected_then_lands_anew(tmp_path: Path, lake: Lake) -> None:
    location = _landing(tmp_path, {"a.csv": text(rows("first", 3)), "b.csv": text(rows("b", 2))})
    spec = feed(location)
    landing = CsvLandingDataset(feed="moving", spec=spec, lake_uri=lake.root)
    for batch in land_csv_files(landing.load(), raw_table="csv_moving"):
        if batch.source.endswith("a.csv"):  # opened, not read yet: now someone rewrites it
            (tmp_path / "landing" / "a.csv").write_bytes(text(rows("second", 4)))
        commit_raw(batch, lake=lake)
    log = read_ingestion_log(lake=lake)
    first = log.filter(pl.col("source") == "moving/a.csv").row(0, named=True)
    assert first["status"] == "rejected" and "changed while it was read" in first["error"]
    assert log.filter(pl.col("source") == "moving/b.csv").item(0, "status") == "landed_raw"

    run_ingest_csv({"moving": spec}, lake=lake)  # the new content is a new batch
    clean = scan_table(lake.table_uri("clean", "hostile_laps")).collect()
    assert sorted(clean.get_column("entry_id").to_list()) == sorted(
        [f"b-{i}" for i in range(2)] + [f"second-{i}" for i in range(4)]
    )
    statuses = read_ingestion_log(lake=lake).filter(pl.col("source") == "moving/a.csv")
    assert sorted(statuses.get_column("status").to_list()) == ["ok", "rejected"]


def test_header_only_file_is_empty_for_good(tmp_path: Path, lake: Lake) -> None:
    spec = feed(_landing(tmp_path, {"h.csv": (HEADER + "\n").encode()}))
    run_ingest_csv({"bare": spec}, lake=lake)
    run_ingest_csv({"bare": spec}, lake=lake)
    log = read_ingestion_log(lake=lake)
    assert log.select("status", "rows_in").rows() == [("empty", 0)]


def test_a_broken_gzip_ends_the_run_with_a_warning_not_a_crash(
    tmp_path: Path, lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    broken = truncated_gzip()
    spec = feed(_landing(tmp_path, {broken.name: broken.data, "z.csv": text(rows("z", 3))}))
    with caplog.at_level(logging.WARNING, logger="pitwall.lake.commit"):
        run_ingest_csv({"mixed": spec}, lake=lake)  # raises nothing
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warned] == [
        "csv_mixed: mixed/truncated.csv.gz rejected: truncated gzip stream: unexpected end of data"
    ]
    log = read_ingestion_log(lake=lake).sort("source")
    assert log.select("source", "status").rows() == [
        ("mixed/truncated.csv.gz", "rejected"),
        ("mixed/z.csv", "ok"),
    ]


def test_an_unreadable_file_is_rejected_once_then_lands_when_readable(
    tmp_path: Path, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that is listed but cannot be read (EACCES; simulated, as tests may run as root)
    is a `rejected` row naming the reason, not only a warning on every run."""
    spec = feed(_landing(tmp_path, {"a.csv": text(rows("a", 2)), "b.csv": text(rows("b", 1))}))
    locked = {"a.csv"}

    def guard(read: Callable[..., object]) -> Callable[..., object]:
        def reading(*args: object, **kwargs: object) -> object:
            path = next(a for a in args if isinstance(a, Path))
            if path.name in locked:
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return read(*args, **kwargs)

        return reading

    monkeypatch.setattr(DigestStore, "read", guard(DigestStore.read))
    monkeypatch.setattr(landing_module, "check_file", guard(landing_module.check_file))
    run_ingest_csv({"locked": spec}, lake=lake)
    run_ingest_csv({"locked": spec}, lake=lake)  # the same version is not logged again
    log = read_ingestion_log(lake=lake).sort("source")
    assert log.select("source", "status", "error").rows() == [
        ("locked/a.csv", "rejected", "cannot read the file: Permission denied"),
        ("locked/b.csv", "ok", None),
    ]

    locked.clear()  # permissions fixed: the file lands as a new batch
    run_ingest_csv({"locked": spec}, lake=lake)
    clean = scan_table(lake.table_uri("clean", "hostile_laps")).collect()
    assert sorted(clean.get_column("entry_id").to_list()) == ["a-0", "a-1", "b-0"]
    statuses = read_ingestion_log(lake=lake).filter(pl.col("source") == "locked/a.csv")
    assert sorted(statuses.get_column("status").to_list()) == ["ok", "rejected"]


def test_allowed_values_and_regex_quarantine_csv_records_by_name(
    tmp_path: Path, lake: Lake
) -> None:
    lines = [row("r-0", driver="Ann"), row("r-1", driver="ann"), row("R-2", driver="Bob")]
    spec = feed(_landing(tmp_path, {"r.csv": text(lines)}))
    spec["columns"] = {
        **spec["columns"],
        "entry_id": {"type": "string", "regex": "r-[0-9]+"},
        "driver": {"type": "string", "allowed": ["Ann", "Bob"]},
    }
    run_ingest_csv({"ruled": spec}, lake=lake)
    clean = scan_table(lake.table_uri("clean", "hostile_laps")).collect()
    assert clean.get_column("entry_id").to_list() == ["r-0"]
    held = scan_table(lake.table_uri("quarantine", "csv_ruled")).collect().sort("_source_row")
    assert held.get_column("reason").to_list() == [
        "column driver: constraint allowed ['Ann', 'Bob'] violated by ann",
        "column entry_id: constraint regex r-[0-9]+ violated by R-2",
    ]
