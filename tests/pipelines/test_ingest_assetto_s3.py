"""ingest_assetto from an s3:// landing zone (moto's server): the capture daemons' uploads
(``telemetry-capture --upload``, local copies deleted) land in a lake on S3, each file once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from telemetry_capture.upload import Uploader, UploadOptions

from pitwall.assetto.datasets import AssettoLandingDataset
from pitwall.assetto.demo import record_demo_session
from pitwall.assetto.landing import list_landing_files
from pitwall.lake.delta import read_table
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from tests.pipelines.test_ingest_assetto import run_ingest_assetto
from tests.s3server import run_moto_lake

BUCKET = "pitwall-lake"
LANDING = f"s3://{BUCKET}/landing/assetto"


@pytest.fixture
def s3_lake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """moto's S3 server, the ``AWS_*`` settings for it, and a lake in its bucket."""
    with run_moto_lake(monkeypatch, bucket=BUCKET) as lake:
        yield lake


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A short demo race: a server daemon and one rig's game daemon."""
    root = tmp_path_factory.mktemp("capture")
    record_demo_session(
        root, seconds=4, cars=2, track="ks_brands_hatch", practice=False, race_laps=1, rigs=1
    )
    return root / "assetto"


def upload(captures: Path, name: str, into: str) -> int:
    """What a daemon ``--out <captures>/<name> --upload <into>/<name>
    --local-copies=delete`` does with its completed files."""
    options = UploadOptions(target=f"{into}/{name}", local_copies="delete")
    return Uploader(captures / name, options=options).upload_pending()


def test_uploaded_captures_land_once_from_the_bucket(
    recorded: Path, tmp_path: Path, s3_lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    captures = tmp_path / "capture"
    shutil.copytree(recorded, captures)
    local_markers = [m for m, _ in list_landing_files(captures)]
    sent = sum(upload(captures, name, LANDING) for name in ("server", "game-0"))
    assert sent == len(local_markers) > 0
    assert list_landing_files(captures) == []  # --local-copies=delete
    # the same files have the same markers on the volume and in the bucket: switching the
    # landing zone from one to the other lands nothing twice
    assert [m for m, _ in list_landing_files(LANDING)] == local_markers
    assert all(loc.startswith(f"{LANDING}/") for _, loc in list_landing_files(LANDING))

    run_ingest_assetto(LANDING, monkeypatch)
    log = read_ingestion_log(lake=s3_lake)
    assert log.height == len(local_markers)
    assert set(log["status"]) <= {"ok", "partial"}
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
    sessions = read_table(
        s3_lake.table_uri("clean", "ac_sessions"), storage_options=s3_lake.storage_options
    )
    assert isinstance(sessions, pl.DataFrame)
    assert sorted(sessions["protocol"]) == ["game", "server"]
    assert all(
        not list(AssettoLandingDataset(kind=kind, landing_dir=LANDING).load())
        for kind in ("version", "rt_car_info", "lap_completed")
    )

    # once more: nothing new; then a second event's uploads: only those land
    run_ingest_assetto(LANDING, monkeypatch)
    assert read_ingestion_log(lake=s3_lake).height == len(local_markers)
    shutil.copytree(recorded / "server", captures / "server-2")
    second = upload(captures, "server-2", LANDING)
    run_ingest_assetto(LANDING, monkeypatch)
    log = read_ingestion_log(lake=s3_lake)
    assert log.height == len(local_markers) + second
    assert log["batch_id"].is_unique().all()
    assert log.filter(pl.col("source").str.starts_with("server-2/")).height == second
