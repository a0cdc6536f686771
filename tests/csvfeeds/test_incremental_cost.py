"""A small CSV batch into a grown CLEAN table reads only the CLEAN files its keys can be in.

Proof by construction: the CLEAN file holding the oldest laps is made unreadable after it
landed. A later file of new laps and a correction of a recent one still lands and merges
(the merge never opened the broken file); a correction of an old lap does not."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from tests.csvfeeds.helpers import LAP_HEADER, lap_feed, run_ingest_csv


def _write(folder: Path, name: str, ids: range, *, lap_time: float = 90.0) -> None:
    lines = [f"e{i:05d},Ann,{i},{lap_time},true,2026-03-01T12:00:00Z" for i in ids]
    (folder / name).write_text("\n".join([LAP_HEADER, *lines]) + "\n")


def _clean(lake: Lake) -> pl.LazyFrame:
    return pl.scan_delta(lake.table_uri("clean", "laps"))


def test_a_small_batch_does_not_read_old_clean_files(tmp_path: Path, lake: Lake) -> None:
    landing = tmp_path / "landing"
    landing.mkdir()
    feeds = {"laps": lap_feed(str(landing / "*.csv"))}
    for n in range(3):  # three runs: three CLEAN files of 100 laps each, in key order
        _write(landing, f"{n}.csv", range(n * 100, (n + 1) * 100))
        run_ingest_csv(feeds, lake=lake)
    files = pl.DataFrame(DeltaTable(lake.table_uri("clean", "laps")).get_add_actions(flatten=True))
    assert files.height == 3
    oldest = files.filter(pl.col("min.entry_id") == "e00000")["path"].item()
    (Path(lake.table_uri("clean", "laps")) / oldest).write_bytes(b"not parquet")

    _write(landing, "3.csv", range(300, 310))  # new laps
    _write(landing, "4.csv", range(250, 251), lap_time=88.5)  # a recent lap corrected
    run_ingest_csv(feeds, lake=lake)

    recent = _clean(lake).filter(pl.col("entry_id") >= "e00100").collect()
    assert recent.height == 210
    assert recent.filter(pl.col("entry_id") == "e00250")["lap_time_s"].item() == 88.5
    log = read_ingestion_log(lake=lake)
    assert set(log.filter(pl.col("status") == "ok")["source"].str.extract(r"(\d)\.csv$")) == {
        "0",
        "1",
        "2",
        "3",
        "4",
    }

    _write(landing, "5.csv", range(5, 6), lap_time=80.0)  # an old lap: its file must be read
    with pytest.raises(Exception, match=r"(?i)parquet|magic|eof|corrupt"):
        run_ingest_csv(feeds, lake=lake)
    pending = read_ingestion_log(lake=lake).filter(pl.col("source").str.ends_with("5.csv"))
    assert pending["status"].to_list() == ["landed_raw"]  # RAW holds it; CLEAN will retry
