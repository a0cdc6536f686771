"""Uploads to a feed whose landing zone is an S3 bucket (moto's S3 server)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from api.uploads import UploadRejectedError, write_upload
from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.files import list_feed_files
from tests.s3server import moto_env, run_moto_server

CONTENT = b"entry_id,driver,lap_time_s\ne1,Alice,91.5\n"


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    with run_moto_server() as endpoint, pytest.MonkeyPatch.context() as env:
        for key, value in moto_env(endpoint).items():
            env.setenv(key, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="landing")
        yield endpoint


@pytest.fixture
def feed() -> CsvFeed:
    return CsvFeed(
        name="laps",
        location="s3://landing/incoming/laps/*.csv",
        columns={"entry_id": "string", "driver": "string", "lap_time_s": "float"},  # type: ignore[dict-item]
        key=["entry_id"],
        clean_table="laps",
    )


def upload(feed: CsvFeed, name: str, content: bytes = CONTENT) -> str:
    stored = write_upload(
        io.BytesIO(content), name=name, feed=feed, home=Path("/nonexistent"), max_bytes=1024
    )
    return stored.uri


def test_upload_lands_in_the_bucket_and_is_listed(s3: str, feed: CsvFeed) -> None:
    uri = upload(feed, "round1.csv")
    assert uri == "s3://landing/incoming/laps/round1.csv"
    body = (
        boto3.client("s3", endpoint_url=s3)
        .get_object(Bucket="landing", Key="incoming/laps/round1.csv")["Body"]
        .read()
    )
    assert body == CONTENT
    assert [f.uri for f in list_feed_files(feed)] == [uri]


def test_existing_object_is_not_overwritten(s3: str, feed: CsvFeed) -> None:
    upload(feed, "round2.csv")
    with pytest.raises(UploadRejectedError) as refused:
        upload(feed, "round2.csv", CONTENT + b"e2,Bob,90\n")
    assert refused.value.status == 409


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("../other/x.csv", CONTENT, 422),
        ("x.txt", CONTENT, 422),
        ("big.csv", CONTENT * 100, 413),
        ("bad.csv", b"nope\n1\n", 422),
    ],
)
def test_refused_uploads_leave_nothing(
    s3: str, feed: CsvFeed, name: str, content: bytes, status: int
) -> None:
    before = {f.uri for f in list_feed_files(feed)}
    with pytest.raises(UploadRejectedError) as refused:
        upload(feed, name, content)
    assert refused.value.status == status
    assert {f.uri for f in list_feed_files(feed)} == before
