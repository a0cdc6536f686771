"""The compose ``s3-init`` job: the lake and backup buckets, versioned, with lifecycle rules.

Idempotent (safe at every start). For each bucket:

- versioning on: an overwritten or deleted object keeps its previous versions, so a bad
  write to the lake (or a deleted Delta log entry) can be undone object by object;
- a lifecycle rule expiring *noncurrent* versions after ``PITWALL_NONCURRENT_DAYS`` (30)
  and aborting multipart uploads left incomplete for a day, so history does not grow forever.

Settings: ``AWS_ENDPOINT_URL``/``AWS_*`` (an admin identity of the store),
``PITWALL_LAKE_BUCKET``, ``PITWALL_BACKUP_BUCKET``, ``PITWALL_NONCURRENT_DAYS``. botocore
(a dependency of s3fs) is the client: nothing to add to the image.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import botocore.session
from botocore.exceptions import ClientError

log = logging.getLogger("init_buckets")
RULE_ID = "pitwall-noncurrent-versions"


def lifecycle(noncurrent_days: int) -> dict[str, Any]:
    return {
        "Rules": [
            {
                "ID": RULE_ID,
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_days},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            }
        ]
    }


def ensure_bucket(client: Any, bucket: str, *, noncurrent_days: int) -> None:
    """Create ``bucket`` if missing, turn versioning on, set the lifecycle rule."""
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        client.create_bucket(Bucket=bucket)
        log.info("created bucket %s", bucket)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration=lifecycle(noncurrent_days)
    )
    log.info("bucket %s: versioning on, noncurrent versions kept %d days", bucket, noncurrent_days)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    days = int(os.environ.get("PITWALL_NONCURRENT_DAYS", "30"))
    client = botocore.session.get_session().create_client(
        "s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None
    )
    for name in ("PITWALL_LAKE_BUCKET", "PITWALL_BACKUP_BUCKET"):
        ensure_bucket(client, os.environ[name], noncurrent_days=days)
    return 0


if __name__ == "__main__":
    sys.exit(main())
