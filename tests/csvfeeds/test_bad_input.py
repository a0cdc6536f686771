"""The broken-CSV corpus: every file reconciles and quarantine says why."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from pitwall.sql import connect

from .helpers import LAP_HEADER, lap_feed, run_ingest_csv

GOOD = "L1,Ann,1,101.5,true,2026-09-05T14:02:11Z"


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _ingest_one(tmp_path: Path, lake: Lake, name: str, data: bytes, **feed_opts: object) -> dict:
    _write(tmp_path / "landing" / name, data)
    feeds = {"laps": lap_feed(str(tmp_path / "landing" / "*.csv*"), **feed_opts)}
    run_ingest_csv(feeds, lake=lake)
    log = read_ingestion_log(lake=lake)
    assert log.height == 1, log
    return log.row(0, named=True)


def _quarantine(lake: Lake) -> pl.DataFrame:
    con = connect(lake)
    return con.sql("SELECT * FROM quarantine.csv_laps ORDER BY _source_row").pl()


def _clean(lake: Lake) -> pl.DataFrame:
    return connect(lake).sql("SELECT * FROM clean.laps ORDER BY entry_id").pl()


def _assert_reconciles(row: dict) -> None:
    assert row["rows_in"] == row["rows_landed"] + row["rows_quarantined"], row


def test_ragged_rows(tmp_path: Path, lake: Lake) -> None:
    body = f"{LAP_HEADER}\n{GOOD}\nL2,Bob,1,99.1\nL3,Cy,1,98.0,true,2026-09-05T14:02:11Z,extra\n"
    row = _ingest_one(tmp_path, lake, "ragged.csv", body.encode())
    _assert_reconciles(row)
    assert (row["rows_in"], row["rows_landed"], row["rows_quarantined"]) == (3, 1, 2)
    q = _quarantine(lake)
    assert q.get_column("stage").to_list() == ["parse", "parse"]
    assert "MISSING COLUMNS" in q.item(0, "reason")
    assert "TOO MANY COLUMNS" in q.item(1, "reason")
    assert q.item(0, "record") == "L2,Bob,1,99.1"
    assert q.item(0, "_source_row") == 3  # line number in the file
    assert q.item(0, "_source").endswith("ragged.csv")


def test_unbalanced_quotes(tmp_path: Path, lake: Lake) -> None:
    body = f'{LAP_HEADER}\n{GOOD}\nL2,"Bob,1,99.1,true,2026-09-05T14:02:11Z\n'
    row = _ingest_one(tmp_path, lake, "quotes.csv", body.encode())
    _assert_reconciles(row)
    assert row["rows_landed"] == 1 and row["rows_quarantined"] == 1
    assert "quote" in _quarantine(lake).item(0, "reason").lower()


def test_wrong_types(tmp_path: Path, lake: Lake) -> None:
    body = (
        f"{LAP_HEADER}\n{GOOD}\nL2,Bob,two,99.1,true,2026-09-05T14:02:11Z\n"
        "L3,Cy,3,fast,maybe,yesterday\n"
    )
    row = _ingest_one(tmp_path, lake, "types.csv", body.encode())
    _assert_reconciles(row)
    assert (row["rows_landed"], row["rows_quarantined"], row["status"]) == (1, 2, "partial")
    q = _quarantine(lake)
    assert q.get_column("stage").to_list() == ["type", "type"]
    assert q.item(0, "reason") == "column lap: cannot parse two as int"
    reasons = q.item(1, "reason")
    for col in ("lap_time_s", "valid", "recorded_at"):
        assert f"column {col}" in reasons
    assert '"lap":"two"' in q.item(0, "record")
    assert _clean(lake).get_column("entry_id").to_list() == ["L1"]


def test_invalid_bytes_for_declared_encoding(tmp_path: Path, lake: Lake) -> None:
    body = f"{LAP_HEADER}\n{GOOD}\nL2,Bj\xf6rn,1,99.1,true,2026-09-05T14:02:11Z\n".encode("latin-1")
    row = _ingest_one(tmp_path, lake, "bytes.csv", body)
    _assert_reconciles(row)
    assert (row["rows_landed"], row["rows_quarantined"]) == (1, 1)
    assert "INVALID ENCODING" in _quarantine(lake).item(0, "reason")


def test_duplicate_keys_keep_the_last_row(tmp_path: Path, lake: Lake) -> None:
    body = (
        f"{LAP_HEADER}\nL1,Ann,1,101.5,true,2026-09-05T14:02:11Z\n"
        "L1,Ann,1,100.9,true,2026-09-05T14:02:11Z\n"
    )
    row = _ingest_one(tmp_path, lake, "dupes.csv", body.encode())
    _assert_reconciles(row)
    assert (row["rows_landed"], row["rows_quarantined"]) == (1, 1)
    assert _quarantine(lake).item(0, "reason") == "duplicate key in batch: superseded by row 2"
    assert _clean(lake).get_column("lap_time_s").to_list() == [100.9]


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("empty.csv", b"", "empty file"),
        ("binary.csv", bytes(range(256)) * 8, "binary content"),
        ("wrong_header.csv", b"a,b,c\n1,2,3\n", "header does not match"),
        ("broken.csv.gz", b"\x1f\x8b\x08\x00garbage", "corrupt gzip"),
    ],
)
def test_rejected_files(tmp_path: Path, lake: Lake, name: str, data: bytes, error: str) -> None:
    row = _ingest_one(tmp_path, lake, name, data)
    assert row["status"] == "rejected"
    assert error in row["error"]
    assert (row["rows_in"], row["rows_landed"], row["rows_quarantined"]) == (0, 0, 0)


def test_rejected_file_does_not_stop_the_others(tmp_path: Path, lake: Lake) -> None:
    _write(tmp_path / "landing" / "a_binary.csv", b"\x00\x01\x02" * 100)
    _write(tmp_path / "landing" / "b_good.csv", f"{LAP_HEADER}\n{GOOD}\n".encode())
    run_ingest_csv({"laps": lap_feed(str(tmp_path / "landing" / "*.csv"))}, lake=lake)
    log = read_ingestion_log(lake=lake).sort("source")
    assert log.get_column("status").to_list() == ["rejected", "ok"]
    assert _clean(lake).height == 1


def test_header_only_file_lands_nothing_and_is_empty(tmp_path: Path, lake: Lake) -> None:
    row = _ingest_one(tmp_path, lake, "header.csv", f"{LAP_HEADER}\n".encode())
    assert (row["rows_in"], row["rows_landed"], row["rows_quarantined"]) == (0, 0, 0)
    assert row["status"] == "empty"


def test_formats_bom_crlf_latin1_gzip_embedded_newlines(tmp_path: Path, lake: Lake) -> None:
    landing = tmp_path / "landing"
    _write(landing / "bom_crlf.csv", ("\ufeff" + LAP_HEADER + "\r\n" + GOOD + "\r\n").encode())
    multiline = f'{LAP_HEADER}\nL2,"Bob\nthe Builder",2,99.5,false,2026-09-05 14:03:00\n'
    _write(landing / "multi.csv.gz", gzip.compress(multiline.encode()))
    latin_dir = tmp_path / "latin"
    _write(
        latin_dir / "l.csv",
        f"{LAP_HEADER}\nL3,Jürgen,3,98.7,1,2026-09-05T16:04:00+02:00\n".encode("latin-1"),
    )
    feeds = {
        "laps": lap_feed(str(landing / "*.csv*")),
        "latin": lap_feed(str(latin_dir / "*.csv"), encoding="latin-1", clean_table="laps_latin"),
    }
    run_ingest_csv(feeds, lake=lake)
    log = read_ingestion_log(lake=lake)
    assert log.get_column("status").to_list() == ["ok"] * 3
    clean = _clean(lake)
    assert clean.get_column("driver").to_list() == ["Ann", "Bob\nthe Builder"]
    latin = connect(lake).sql("SELECT driver, valid, recorded_at FROM clean.laps_latin").pl()
    assert latin.item(0, "driver") == "Jürgen"
    assert latin.item(0, "valid") is True
    assert latin.item(0, "recorded_at").hour == 14  # +02:00 normalised to UTC
