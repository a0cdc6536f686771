"""Every record of every hostile file ends in exactly one place: RAW (and on to CLEAN), or
quarantine with its reason and its original bytes, or inside a file rejected whole with its
reason in the log; and the good files still land."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from pitwall.csvfeeds.originals import INLINE_MAX
from pitwall.lake.delta import scan_table
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from tests.csvfeeds.helpers import run_ingest_csv

from .corpus import Case, all_cases, feed

FEED = "hostile"
_REFERENCE = re.compile(r"^<side object> (quarantine/_originals/[0-9a-f]{64}) \((\d+) bytes\)$")


def _original(record: str, *, lake: Lake) -> bytes:
    """The original bytes a quarantine record holds or references."""
    if match := _REFERENCE.match(record):
        data = (Path(lake.root) / match.group(1)).read_bytes()
        assert len(data) == int(match.group(2))
        return data
    assert len(record.encode()) <= INLINE_MAX, "a long original must be a side object"
    return record.encode()


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Case], Lake]:
    root = tmp_path_factory.mktemp("hostile")
    landing = root / "landing"
    landing.mkdir()
    cases = all_cases()
    for case in cases:
        (landing / case.name).write_bytes(case.data)
    lake = Lake(root=str(root / "lake"))
    feeds = {FEED: feed(str(landing / "*.csv*"))}
    run_ingest_csv(feeds, lake=lake)  # no crash, whatever the corpus holds
    run_ingest_csv(feeds, lake=lake)  # a re-run adds nothing
    return cases, lake


def _frames(lake: Lake) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    log = read_ingestion_log(lake=lake)
    raw = (
        scan_table(lake.table_uri("raw", f"csv_{FEED}"))
        .select(pl.col("_batch_id").cast(pl.String), pl.col("_source").cast(pl.String))
        .collect()
    )
    quarantine = scan_table(lake.table_uri("quarantine", f"csv_{FEED}")).collect()
    clean = scan_table(lake.table_uri("clean", "hostile_laps")).collect()
    return log, raw, quarantine, clean


def test_every_file_reconciles(landed: tuple[list[Case], Lake]) -> None:
    cases, lake = landed
    log, raw, quarantine, _ = _frames(lake)
    assert log.height == len(cases), "one final log row per file, none doubled by the re-run"
    for case in cases:
        entry = log.filter(pl.col("source") == f"{FEED}/{case.name}")
        assert entry.height == 1, case.name
        outcome = entry.row(0, named=True)
        batch = outcome["batch_id"]
        in_raw = raw.filter(pl.col("_batch_id") == batch).height
        held = quarantine.filter(pl.col("_batch_id") == batch)
        if case.rejected:
            assert outcome["status"] == "rejected", (case.name, outcome)
            assert case.rejected in (outcome["error"] or ""), (case.name, outcome)
            assert in_raw == 0 and held.height == 0, case.name
            continue
        assert outcome["status"] != "landed_raw", (case.name, outcome)  # every status is final
        assert in_raw == case.records == outcome["rows_in"], (case.name, in_raw, outcome)
        assert held.height == case.quarantined == outcome["rows_quarantined"], (
            case.name,
            held.select("reason").to_series().to_list(),
        )
        assert outcome["rows_landed"] + outcome["rows_quarantined"] == outcome["rows_in"]
        reasons = "\n".join(held.get_column("reason").to_list())
        for fragment in case.reasons:
            assert fragment in reasons, (case.name, fragment, reasons)
        if case.empty:
            assert outcome["status"] == "empty"


def test_no_quarantined_original_is_truncated(landed: tuple[list[Case], Lake]) -> None:
    cases, lake = landed
    _, _, quarantine, _ = _frames(lake)
    parsed = quarantine.filter(pl.col("stage") == "parse")
    originals = [_original(r, lake=lake) for r in parsed.get_column("record").to_list()]
    expected = [bad for case in cases for bad in case.bad]
    assert sorted(originals) == sorted(expected)
    assert max(len(o) for o in originals) > 32 << 20  # the 33 MiB lines are kept whole


def test_good_records_reach_clean_under_their_own_source(
    landed: tuple[list[Case], Lake],
) -> None:
    cases, lake = landed
    log, raw, _, clean = _frames(lake)
    expected = sorted(k for case in cases for k in case.good_keys)
    assert sorted(clean.get_column("entry_id").to_list()) == expected
    assert clean.filter(pl.col("day").is_null()).height == 0
    for case in cases:
        batch = log.filter(pl.col("source") == f"{FEED}/{case.name}").item(0, "batch_id")
        sources = raw.filter(pl.col("_batch_id") == batch).get_column("_source").unique()
        assert sources.to_list() in ([], [f"{FEED}/{case.name}"]), case.name


def test_glob_characters_are_literal(landed: tuple[list[Case], Lake]) -> None:
    _, lake = landed
    _, raw, _, _ = _frames(lake)
    for name in ("a*.csv", "ab.csv", "b?.csv", "b1.csv", "c[1].csv", "c1.csv"):
        assert raw.filter(pl.col("_source") == f"{FEED}/{name}").height == 2, name
