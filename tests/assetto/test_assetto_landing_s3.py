"""The landing dataset on an s3:// landing zone (moto's server): completed Parquet objects
only, a bad object is that file's error, an unreachable store fails the run."""

from __future__ import annotations

import io
from collections.abc import Iterator

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from telemetry_capture.schemas import schema_for

from pitwall.assetto.datasets import AssettoLandingDataset
from pitwall.lake.layout import Lake
from tests.s3server import moto_env, run_moto_server

BUCKET = "landing"
ROOT = f"s3://{BUCKET}/landing/assetto"


@pytest.fixture
def s3(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    with run_moto_server() as endpoint:
        for key, value in moto_env(endpoint).items():
            monkeypatch.setenv(key, value)
        client = boto3.client("s3", endpoint_url=endpoint)
        client.create_bucket(Bucket=BUCKET)
        yield client


def _parquet(kind: str) -> bytes:
    out = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([], schema=schema_for(kind)), out)
    return out.getvalue()


def test_objects_are_listed_and_read_from_the_bucket(s3: object) -> None:
    objects = {
        "rig1/game/rt_lap/cap-00001.parquet": _parquet("rt_lap"),
        "rig1/game/rt_lap/cap-00002.parquet": b"PAR1 not really",
        "rig1/game/rt_lap/.cap-00003.parquet.tmp": b"partial",
        "rig1/game/.uploaded": b"ledger",
        "rig1/game/rt_lap/notes.txt": b"not a capture",
        "rig1/game/version/cap-00001.parquet": _parquet("version"),
    }
    for key, body in objects.items():
        s3.put_object(Bucket=BUCKET, Key=f"landing/assetto/{key}", Body=body)  # type: ignore[attr-defined]
    s3.put_object(Bucket=BUCKET, Key="elsewhere/rt_lap/x.parquet", Body=b"")  # type: ignore[attr-defined]

    dataset = AssettoLandingDataset(kind="rt_lap", landing_dir=ROOT + "/")
    assert dataset.exists()
    files = list(dataset.load())
    assert [(f.marker, f.kind) for f in files] == [
        ("rig1/game/rt_lap/cap-00001.parquet", "rt_lap"),
        ("rig1/game/rt_lap/cap-00002.parquet", "rt_lap"),
    ]
    assert files[0].frame is not None and files[0].error is None
    assert files[1].frame is None and (files[1].error or "").startswith("unreadable Parquet")
    assert dataset.preview()["data"] == [[f.marker] for f in files]
    empty = AssettoLandingDataset(kind="rt_lap", landing_dir=f"s3://{BUCKET}/nothing/here")
    assert list(empty.load()) == []


def test_a_store_failing_mid_run_fails_the_run_not_the_file(
    s3: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import s3fs

    s3.put_object(  # type: ignore[attr-defined]
        Bucket=BUCKET, Key="landing/assetto/rig1/game/rt_lap/a.parquet", Body=_parquet("rt_lap")
    )

    async def store_down(*args: object, **kwargs: object) -> bytes:
        raise ConnectionError("store down")

    monkeypatch.setattr(s3fs.S3FileSystem, "_cat_file", store_down)
    with pytest.raises(ConnectionError):  # the file stays pending for the next run
        list(AssettoLandingDataset(kind="rt_lap", landing_dir=ROOT).load())
