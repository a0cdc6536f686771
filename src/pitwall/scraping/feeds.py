"""Feed exports into the landing zone: ``<landing_dir>/<site>/<crawl_id>.jsonl``.

The feed URI is ``landing:/<site>/<crawl_id>.jsonl``, under the ``PITWALL_LANDING_DIR``
setting, a local folder or an ``s3://`` prefix. A reader never sees a partial feed, and a
killed crawl publishes nothing: a local file is written under a hidden temporary name
(``.*.part``) and renamed when the crawl closes; on S3, Scrapy's own storage writes a
temporary file and uploads it once the crawl closed, as one object.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedStorageProtocol, FileFeedStorage, S3FeedStorage
from scrapy.utils.misc import build_from_crawler

from pitwall.lake.layout import is_remote_uri

PART_SUFFIX = ".part"
LANDING_SCHEME = "landing:"


def new_crawl_id() -> str:
    """Sortable and unique: ``20261124T095333123456Z-3f9a1c``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"


class LandingFeedStorage:
    """The storage of ``landing:/...`` feed URIs: the file goes under ``PITWALL_LANDING_DIR``,
    to :class:`AtomicFileFeedStorage` for a folder, to Scrapy's ``S3FeedStorage`` for an
    ``s3://`` prefix (credentials and endpoint: the ``AWS_*`` settings, else botocore's own
    environment variables)."""

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> FeedStorageProtocol:
        root = str(crawler.settings.get("PITWALL_LANDING_DIR") or "").rstrip("/")
        if not root:
            raise ValueError("the PITWALL_LANDING_DIR setting is empty")
        relative = uri.removeprefix(LANDING_SCHEME).lstrip("/")
        if is_remote_uri(root):
            target = f"{root}/{relative}"
            return build_from_crawler(S3FeedStorage, crawler, target, feed_options=feed_options)
        return AtomicFileFeedStorage(f"file://{root}/{relative}", feed_options=feed_options)


class AtomicFileFeedStorage(FileFeedStorage):
    """Local feed storage that publishes the file by an atomic rename on close."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        final = Path(self.path)
        self.final_path = final
        self.part_path = final.with_name(f".{final.name}{PART_SUFFIX}")

    def open(self, spider: Spider) -> IO[bytes]:
        self.part_path.parent.mkdir(parents=True, exist_ok=True)
        return self.part_path.open("wb")

    def store(self, file: IO[bytes]) -> None:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        os.replace(self.part_path, self.final_path)
        return None
