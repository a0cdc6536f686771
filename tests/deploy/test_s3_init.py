"""deploy/s3/init_buckets.py against moto's S3 server: versioned buckets whose noncurrent
versions expire, idempotent; then the lake's recovery story on such a bucket: an overwritten
or deleted object comes back from its previous version."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.deploy.helpers import DEPLOY
from tests.s3server import run_moto_server

SCRIPT = DEPLOY / "s3" / "init_buckets.py"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with run_moto_server() as url:
        yield url


def client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip


def init(endpoint: str, days: str = "30") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **CREDENTIALS, "AWS_ENDPOINT_URL": endpoint,
           "PITWALL_LAKE_BUCKET": "lake", "PITWALL_BACKUP_BUCKET": "backups",
           "PITWALL_NONCURRENT_DAYS": days}  # fmt: skip
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_buckets_are_versioned_with_a_noncurrent_expiry_and_reruns_are_harmless(
    endpoint: str,
) -> None:
    first = init(endpoint)
    assert first.returncode == 0, first.stderr
    again = init(endpoint, days="45")  # a re-run (every compose start) updates, never fails
    assert again.returncode == 0, again.stderr
    s3 = client(endpoint)
    for bucket in ("lake", "backups"):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
        assert len(rules) == 1
        assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 45
        assert rules[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1


def test_an_overwritten_or_deleted_lake_object_comes_back(endpoint: str) -> None:
    assert init(endpoint).returncode == 0
    s3 = client(endpoint)
    key = "lake/clean/laps/_delta_log/00000000000000000007.json"
    s3.put_object(Bucket="lake", Key=key, Body=b'{"commitInfo": "good"}')
    s3.put_object(Bucket="lake", Key=key, Body=b'{"commitInfo": "bad overwrite"}')
    s3.delete_object(Bucket="lake", Key=key)
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="lake", Key=key)
    versions = s3.list_object_versions(Bucket="lake", Prefix=key)["Versions"]
    assert len(versions) == 2  # and a delete marker on top
    oldest = versions[-1]  # S3 lists a key's versions newest first
    good = s3.get_object(Bucket="lake", Key=key, VersionId=oldest["VersionId"])["Body"].read()
    assert good == b'{"commitInfo": "good"}'
    # restoring is copying the old version over the current one (docs/operations.md)
    source = {"Bucket": "lake", "Key": key, "VersionId": oldest["VersionId"]}
    s3.copy_object(Bucket="lake", Key=key, CopySource=source)
    assert s3.get_object(Bucket="lake", Key=key)["Body"].read() == good
