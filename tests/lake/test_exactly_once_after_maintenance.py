"""Exactly-once survives the lake's life: after a log aged past retention, a checkpoint, log
cleanup, a zero-retention VACUUM and OPTIMIZE on every table, landing the same inputs again
adds nothing, the REST cursors hold (the partner API sees no re-fetch), and new inputs land
once. All four sources, each run a real ``kedro run`` in a subprocess."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from pitwall.lake.records import read_ingestion_log
from tests.four_sources import API_PATHS, INGESTS, Platform, running_platform

INITIAL_CURSOR = "2025-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("maintenance")) as running:
        yield running


def age_and_maintain(platform: Platform) -> int:
    """Every table: logs 40 days old, checkpoint, log cleanup, VACUUM 0 h, OPTIMIZE."""
    maintained = 0
    old = time.time() - 40 * 86_400
    for layer in ("raw", "clean", "quarantine"):
        for name in platform.tables(layer):
            uri = platform.lake.table_uri(layer, name)  # type: ignore[arg-type]
            for entry in (Path(uri) / "_delta_log").glob("*.json"):
                os.utime(entry, (old, old))
            table = DeltaTable(uri)
            table.create_checkpoint()
            table.cleanup_metadata()
            table.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
            table.optimize.compact()
            table.create_checkpoint()
            table.cleanup_metadata()
            first_log = Path(uri) / "_delta_log" / "00000000000000000000.json"
            assert DeltaTable(uri).version() == 0 or not first_log.exists(), uri
            maintained += 1
    return maintained


def raw_rows(platform: Platform) -> dict[str, pl.DataFrame]:
    return {name: platform.table("raw", name) for name in platform.tables("raw")}  # type: ignore[misc]


def assert_no_batch_twice(rows: dict[str, pl.DataFrame]) -> None:
    for name, frame in rows.items():
        if name == "ingestion_log" or frame.is_empty():
            continue
        seqs = frame.group_by("_batch_id").agg(pl.col("_batch_seq").n_unique().alias("n"))
        assert (seqs["n"] == 1).all(), f"raw.{name}: a batch landed twice"
        positions = frame.select("_batch_id", "_source_row").filter(
            pl.col("_source_row").is_not_null()
        )
        assert positions.is_unique().all(), f"raw.{name}: a row landed twice"


def test_the_same_inputs_land_nothing_twice_after_log_maintenance(platform: Platform) -> None:
    platform.run(*INGESTS)
    before = raw_rows(platform)
    assert {"csv_lap_times", "api_partner_results", "scraper_laps", "ac_rt_car_info"} <= set(before)
    cursors = {
        name: frame["cursor_value"].drop_nulls().sort()[-1]
        for name, frame in before.items()
        if name.startswith("api_")
    }
    assert age_and_maintain(platform) >= 20

    stats = platform.api_stats()["since"]
    touched = platform.touch("results", 3)
    platform.add_csv_file(
        "lap_times",
        "late.csv",
        "entry_id,round,driver,car_id,track_id,lap,lap_time_s,sector1_s,sector2_s,sector3_s,"
        "valid,recorded_at\nZ1,9,Late Driver,gt3_a,monza,1,110.5,35.0,40.0,35.5,true,"
        "2026-09-01T10:00:00Z\n",
    )
    platform.record_session("second")
    platform.run(*INGESTS)
    after = raw_rows(platform)

    assert_no_batch_twice(after)
    # CSV: the sample files land nothing again; the new file lands once
    for name in ("csv_cars", "csv_tracks", "csv_drivers"):
        assert after[name].height == before[name].height, name
    assert after["csv_lap_times"].height == before["csv_lap_times"].height + 1
    # REST: only the touched records are new; every request started at the landed cursor
    assert after["api_partner_results"].height == before["api_partner_results"].height + 3
    results = after["api_partner_results"]
    newest = results.filter(pl.col("_batch_seq") == pl.col("_batch_seq").max())
    assert set(newest["record"].str.json_path_match("$.result_id")) == set(touched)
    for name in ("api_partner_events", "api_partner_entries", "api_partner_standings"):
        assert after[name].height == before[name].height, name
    since = platform.api_stats()["since"]
    for path in API_PATHS:
        new = {k: v - stats.get(path, {}).get(k, 0) for k, v in since[path].items()}
        asked = {k for k, v in new.items() if v > 0}
        assert INITIAL_CURSOR not in asked and "" not in asked, (path, asked)
    for name, cursor in cursors.items():
        assert cursor in {c for c in after[name]["cursor_value"].drop_nulls().to_list()}, name
    # scraper: one more crawl per site, nothing of the first one again
    for name in after:
        if name.startswith("scraper_"):
            assert after[name]["_batch_id"].n_unique() == 2, name
            first = before[name]["_batch_id"].unique().to_list()
            assert (
                after[name].filter(pl.col("_batch_id").is_in(first)).height == before[name].height
            )
    # telemetry: every file on disk once, the new session included
    for name in after:
        if name.startswith("ac_"):
            kind = name.removeprefix("ac_")
            files = list(platform.assetto_landing.rglob(f"{kind}/*.parquet"))
            expected = sum(pl.read_parquet(f).height for f in files)
            assert after[name].height == expected, name
    # the log: one final row per batch
    log = read_ingestion_log(lake=platform.lake)
    assert log["batch_id"].is_unique().all()
    assert set(log["status"]) <= {"ok", "partial", "rejected", "empty"}
    landed = {b for n, f in after.items() if n != "ingestion_log" for b in f["_batch_id"]}
    assert landed <= set(log["batch_id"])
