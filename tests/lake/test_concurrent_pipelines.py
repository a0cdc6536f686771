"""Any pipelines may run at the same time, on a local lake and on S3 (moto's server; there
the four sources' landing zones are in the bucket too, as on a cluster).

Each round starts all four ingest pipelines plus a second copy of ``ingest_csv`` and of
``ingest_assetto``, as six ``kedro run`` processes at once, after new inputs arrived. After
five rounds (and a quiet one): no run failed, every batch is in RAW exactly once, and the
ingestion log has exactly one final row per batch.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import boto3
import polars as pl
import pytest

from pitwall.lake.records import read_ingestion_log
from tests.four_sources import INGESTS, Platform, running_platform
from tests.s3server import moto_env, run_moto_server

ROUNDS = 5
RUNS = (*INGESTS, "ingest_csv", "ingest_assetto")
CAR_HEADER = "car_id,brand,model,class,power_hp,weight_kg,drivetrain,year"


@pytest.fixture(params=["local", "s3"])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    if request.param == "local":
        with running_platform(tmp_path) as running:
            yield running
        return
    with run_moto_server() as endpoint:
        env = moto_env(endpoint)
        boto3.client("s3", **_client(env)).create_bucket(Bucket="lake")
        with running_platform(
            tmp_path, lake_uri="s3://lake/pitwall", landing_uri="s3://lake/landing", extra_env=env
        ) as running:
            yield running


def _client(env: dict[str, str]) -> dict[str, str]:
    return {
        "endpoint_url": env["AWS_ENDPOINT_URL"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        "region_name": env["AWS_REGION"],
    }


def new_inputs(platform: Platform, round_: int) -> None:
    """A new CSV file per round, touched API records, a copy of the recorded session."""
    rows = "\n".join(
        f"R{round_}C{i},Brand{i},Model {i},GT3,{500 + i},{1200 + i},RWD,2024" for i in range(5)
    )
    platform.add_csv_file("cars", f"round{round_}.csv", f"{CAR_HEADER}\n{rows}\n")
    platform.touch("results", 2)
    shutil.copytree(platform.assetto_landing / "first", platform.assetto_landing / f"r{round_}")
    platform.publish()


def run_at_once(platform: Platform) -> None:
    procs = [platform.start(name) for name in RUNS]
    outputs = [p.communicate(timeout=900)[0] for p in procs]
    failed = [
        f"{name} (exit {p.returncode}):\n{out[-4000:]}"
        for name, p, out in zip(RUNS, procs, outputs, strict=True)
        if p.returncode != 0
    ]
    assert not failed, "\n\n".join(failed)


@pytest.mark.timeout(1800)  # a hang guard: 36 kedro runs against moto's one-process S3 server
def test_six_pipelines_at_once_land_every_batch_once(platform: Platform) -> None:
    for round_ in range(1, ROUNDS + 1):
        new_inputs(platform, round_)
        run_at_once(platform)
    platform.run("ingest_csv", "ingest_assetto", "ingest_api", "ingest_scraper")  # quiet round

    log = read_ingestion_log(lake=platform.lake)
    assert log["batch_id"].is_unique().all()
    assert set(log["status"]) <= {"ok", "partial", "rejected", "empty"}, log[
        "status"
    ].value_counts()
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
    batches: set[str] = set()
    for name in platform.tables("raw"):
        if name == "ingestion_log":
            continue
        raw: pl.DataFrame = platform.table("raw", name)  # type: ignore[assignment]
        per_batch = raw.group_by("_batch_id").agg(
            pl.col("_batch_seq").n_unique().alias("seqs"), pl.len().alias("rows")
        )
        assert (per_batch["seqs"] == 1).all(), f"raw.{name}: a batch landed twice"
        assert raw.select("_batch_id", "_source_row").is_unique().all(), f"raw.{name}"
        logged = log.filter(pl.col("batch_id").is_in(per_batch["_batch_id"].implode()))
        counts = dict(zip(logged["batch_id"], logged["rows_in"], strict=True))
        assert counts == dict(zip(per_batch["_batch_id"], per_batch["rows"], strict=True)), name
        batches |= set(per_batch["_batch_id"])
    assert batches <= set(log["batch_id"])  # entries = batches (+ inputs refused whole)
    cars: pl.DataFrame = platform.table("raw", "csv_cars")  # type: ignore[assignment]
    assert cars.filter(pl.col("car_id").str.starts_with("R")).height == 5 * ROUNDS
    clean: pl.DataFrame = platform.table("clean", "cars")  # type: ignore[assignment]
    assert clean["car_id"].is_unique().all()
    if platform.landing_uri is not None:
        assert_landed_from_the_bucket(platform, log)


def assert_landed_from_the_bucket(platform: Platform, log: pl.DataFrame) -> None:
    """Every source's batches came from its prefix of the bucket, each published file landed,
    and nothing was written to a local landing folder."""
    assert not (platform.root / "landing" / "scraper").exists()
    csv_sources = log.filter(pl.col("source").str.contains(r"\.csv(\.[a-z0-9]+)?$"))["source"]
    prefix = platform.landing("csv") + "/"
    assert csv_sources.len() > 0 and csv_sources.str.starts_with(prefix).all()
    assert set(csv_sources) == {prefix + key for key in platform.bucket_keys("csv")}
    for source, tables in (("scraper", "scraper_"), ("assetto", "ac_")):
        landed: set[str] = set()
        for name in platform.tables("raw"):
            if name.startswith(tables):
                raw: pl.DataFrame = platform.table("raw", name)  # type: ignore[assignment]
                landed |= set(raw["_source"])
        keys = set(platform.bucket_keys(source))
        assert keys and landed == keys, source  # the crawls' feeds, the uploaded captures
