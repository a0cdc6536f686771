"""The Kedro dataset of a CSV feed's landing zone (``landing.csv.<feed>``).

Example catalog entry (a dataset factory: one dataset per feed)::

    "landing.csv.{feed}":
      type: pitwall.csvfeeds.datasets.CsvLandingDataset
      feed: "{feed}"
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from pitwall.csvfeeds.feeds import CsvFeed, parse_feeds, read_csv_feeds
from pitwall.csvfeeds.landing import CsvInput, describe_pending, open_pending_files
from pitwall.datasets.lake_options import LakeOptions

log = logging.getLogger(__name__)


class CsvLandingDataset(LakeOptions, AbstractDataset[None, Iterator[CsvInput]]):
    """Read-only: the feed's files that have not landed yet, opened one at a time.

    Args:
        feed: the feed's name in ``csv_feeds`` (conf/base/sources_csv.yml).
        spec: the feed's declaration, when it is not in conf (tests).
    """

    def __init__(
        self,
        *,
        feed: str,
        spec: dict[str, Any] | None = None,
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lake_uri=lake_uri, metadata=metadata)
        self._name = feed
        self._spec = spec

    @property
    def feed(self) -> CsvFeed:
        if self._spec is not None:
            return parse_feeds({self._name: self._spec})[self._name]
        feeds = read_csv_feeds()
        if self._name not in feeds:
            raise DatasetError(f"no CSV feed {self._name!r} in conf (csv_feeds)")
        return feeds[self._name]

    def load(self) -> Iterator[CsvInput]:
        return open_pending_files(self.feed, lake=self.lake)

    def save(self, data: None) -> None:
        raise DatasetError("a CSV landing zone is read-only: drop files into it instead")

    def _exists(self) -> bool:
        return True

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "feed": self._name}

    def preview(self, nrows: int = 20) -> TablePreview:
        rows = describe_pending(self.feed, lake=self.lake)[:nrows]
        return TablePreview({"columns": ["feed", "file", "bytes"], "data": rows})
