"""A feed read from an S3 bucket and the lake written to S3, against moto's S3 server."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from pitwall.lake.layout import get_lake
from pitwall.lake.records import read_ingestion_log
from pitwall.settings import get_settings
from pitwall.sql import connect
from tests.s3server import moto_env, run_moto_server

from .helpers import LAP_HEADER, lap_feed, run_ingest_csv


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with run_moto_server() as endpoint:
        yield from _configured(endpoint, monkeypatch)


def _configured(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key, value in moto_env(endpoint).items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="landing")
    client.create_bucket(Bucket="lake")
    yield endpoint


def test_feed_from_s3_into_a_lake_on_s3(s3: str, monkeypatch: pytest.MonkeyPatch) -> None:
    client = boto3.client("s3", endpoint_url=s3)
    body = f"{LAP_HEADER}\nL1,Ann,1,101.5,true,2026-09-05T14:02:11Z\nL2,Bob,2,bad,true,\n"
    client.put_object(Bucket="landing", Key="laps/round1.csv", Body=body.encode())
    client.put_object(Bucket="landing", Key="other/ignored.txt", Body=b"nope")
    monkeypatch.setenv("PITWALL_LAKE_URI", "s3://lake/pitwall")
    get_settings.cache_clear()
    lake = get_lake()
    assert lake.is_remote and lake.storage_options["aws_endpoint_url"] == s3

    feeds = {"laps": lap_feed("s3://landing/laps/*.csv")}
    run_ingest_csv(feeds, lake=lake)
    run_ingest_csv(feeds, lake=lake)  # idempotent on S3 too

    log = read_ingestion_log(lake=lake)
    assert log.height == 1
    row = log.row(0, named=True)
    assert row["source"] == "s3://landing/laps/round1.csv"
    assert (row["rows_in"], row["rows_landed"], row["rows_quarantined"]) == (2, 1, 1)
    keys = {o["Key"] for o in client.list_objects_v2(Bucket="lake")["Contents"]}
    assert any(k.startswith("pitwall/clean/laps/_delta_log/") for k in keys)
    raw_files = [k for k in keys if k.startswith("pitwall/raw/csv_laps/part-")]
    assert len(raw_files) == 1 and raw_files[0].endswith(".parquet")
    con = connect(lake)
    assert con.execute("SELECT entry_id FROM clean.laps").fetchall() == [("L1",)]
    assert con.execute("SELECT count(*) FROM quarantine.csv_laps").fetchall() == [(1,)]
    get_settings.cache_clear()
