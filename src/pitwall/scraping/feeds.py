"""Feed exports into the landing zone: ``<landing_dir>/<site>/<crawl_id>.jsonl``.

The file is written under a hidden temporary name and renamed when the crawl closes, so a
reader never sees a partial feed and a killed crawl leaves only a ``.*.part`` file behind.
"""

from __future__ import annotations

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.extensions.feedexport import FileFeedStorage

PART_SUFFIX = ".part"


def new_crawl_id() -> str:
    """Sortable and unique: ``20261124T095333123456Z-3f9a1c``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(3)}"


def feed_uri_params(params: dict[str, Any], spider: Spider) -> dict[str, Any]:
    """Adds ``landing_dir`` (setting ``PITWALL_LANDING_DIR``) to the feed URI parameters."""
    return {**params, "landing_dir": spider.settings.get("PITWALL_LANDING_DIR")}


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
