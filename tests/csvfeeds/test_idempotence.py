"""Re-runs add nothing; new columns evolve CLEAN; interrupted runs complete."""

from __future__ import annotations

import shutil
from pathlib import Path

from kedro.runner import SequentialRunner

from pitwall.csvfeeds.feeds import parse_feeds
from pitwall.csvfeeds.landing import find_pending_files
from pitwall.lake.delta import read_table
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from pitwall.sql import connect

from .helpers import LAP_HEADER, feed_catalog, lap_feed, run_ingest_csv


def _counts(lake: Lake) -> tuple[int, int, int, int]:
    con = connect(lake)
    return tuple(
        con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        for t in ("raw.csv_laps", "clean.laps", "quarantine.csv_laps", "raw.ingestion_log")
    )


def test_rerun_adds_nothing_and_copies_land_once(tmp_path: Path, lake: Lake) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    body = f"{LAP_HEADER}\nL1,Ann,1,101.5,true,2026-09-05T14:02:11Z\nL2,Bob,x,1,true,\n"
    (landing / "a.csv").write_text(body)
    feeds = {"laps": lap_feed(str(landing / "*.csv"))}
    run_ingest_csv(feeds, lake=lake)
    first = _counts(lake)
    assert first == (2, 1, 1, 1)
    run_ingest_csv(feeds, lake=lake)
    (landing / "a_copy.csv").write_text(body)  # same content under another name
    run_ingest_csv(feeds, lake=lake)
    assert _counts(lake) == first


def test_new_column_evolves_clean_and_later_files_update_keys(tmp_path: Path, lake: Lake) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "1.csv").write_text(f"{LAP_HEADER}\nL1,Ann,1,101.5,true,2026-09-05T14:02:11Z\n")
    feed = lap_feed(str(landing / "*.csv"))
    run_ingest_csv({"laps": feed}, lake=lake)
    feed["columns"]["tyre"] = {"type": "string", "required": False}
    (landing / "2.csv").write_text(
        f"{LAP_HEADER},tyre\nL1,Ann,1,100.0,true,2026-09-05T14:02:11Z,soft\n"
        "L2,Bob,1,99.0,true,2026-09-05T14:02:12Z,hard\n"
    )
    run_ingest_csv({"laps": feed}, lake=lake)
    clean = read_table(lake.table_uri("clean", "laps")).sort("entry_id")
    assert clean.get_column("tyre").to_list() == ["soft", "hard"]
    assert clean.get_column("lap_time_s").to_list() == [100.0, 99.0]


def test_run_killed_after_raw_commit_completes_on_rerun(tmp_path: Path, lake: Lake) -> None:
    """RAW committed, then the run died: no CLEAN, no quarantine, no log row."""
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.csv").write_text(f"{LAP_HEADER}\nL1,Ann,1,101.5,true,2026-09-05T14:02:11Z\nL2\n")
    feeds = {"laps": lap_feed(str(landing / "*.csv"))}
    catalog, pipeline = feed_catalog(feeds, lake=lake)
    SequentialRunner().run(pipeline.only_nodes("land_raw_csv_laps"), catalog)
    shutil.rmtree(lake.table_uri("raw", "ingestion_log"))  # as if it died before the log row
    assert not find_pending_files(parse_feeds(feeds)["laps"], lake=lake)  # RAW has the batch
    run_ingest_csv(feeds, lake=lake)
    log = read_ingestion_log(lake=lake).row(0, named=True)
    assert (log["status"], log["rows_in"], log["rows_landed"], log["rows_quarantined"]) == (
        "partial",
        2,
        1,
        1,
    )
    assert _counts(lake) == (2, 1, 1, 1)  # RAW keeps the unparsable line, quarantined in CLEAN
    run_ingest_csv(feeds, lake=lake)
    assert _counts(lake) == (2, 1, 1, 1)
