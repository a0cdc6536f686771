"""A file's recorded source names no server path (issue 16, finding 6).

The landing zone is an absolute folder here, as in production: the ingestion log, RAW's
``_source`` and the quarantine all record the file relative to the feed's landing folder.
"""

from __future__ import annotations

from pathlib import Path

from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from pitwall.sql import connect

from .helpers import LAP_HEADER, lap_feed, run_ingest_csv

GOOD = "L1,Ann,1,101.5,true,2026-09-05T14:02:11Z"
BAD = "L2,Bob,x,99.0,true,2026-09-05T14:03:11Z"


def test_sources_are_relative_to_the_landing_zone(tmp_path: Path, lake: Lake) -> None:
    landing = tmp_path / "srv" / "landing"
    (landing / "2026" / "r1").mkdir(parents=True)
    (landing / "2026" / "r1" / "laps.csv").write_text(f"{LAP_HEADER}\n{GOOD}\n{BAD}\n")
    assert landing.is_absolute()
    run_ingest_csv({"laps": lap_feed(str(landing / "*" / "*" / "*.csv"))}, lake=lake)

    con = connect(lake)
    recorded = [
        *read_ingestion_log(lake=lake)["source"].to_list(),
        *(s for (s,) in con.sql("SELECT DISTINCT _source FROM raw.csv_laps").fetchall()),
        *(s for (s,) in con.sql("SELECT DISTINCT _source FROM quarantine.csv_laps").fetchall()),
    ]
    assert recorded == ["laps/2026/r1/laps.csv"] * 3
    assert not any(str(tmp_path) in s for s in recorded)
