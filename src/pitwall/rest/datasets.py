"""The Kedro dataset of a REST endpoint's pending input (``landing.api.<source>.<endpoint>``):
the pages with what is new since the last landing.

Example catalog entry (a dataset factory: one dataset per endpoint)::

    "landing.api.{source}.{endpoint}":
      type: pitwall.rest.datasets.RestPagesDataset
      source: "{source}"
      endpoint: "{endpoint}"
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from kedro.io import AbstractDataset, DatasetError
from kedro_datasets._typing import TablePreview

from pitwall.datasets.lake_options import LakeOptions
from pitwall.lake.delta import open_table
from pitwall.lake.txn import raw_seq
from pitwall.rest.client import RestClient
from pitwall.rest.landing import raw_table_name
from pitwall.rest.prefetch import prefetch
from pitwall.rest.records import RawPage, keep_new, raw_page
from pitwall.rest.spec import SourceSpec, parse_sources, read_api_sources
from pitwall.rest.state import read_cursor, read_landed_hashes

log = logging.getLogger(__name__)


class RestPagesDataset(LakeOptions, AbstractDataset[None, Iterator[RawPage]]):
    """Read-only: the endpoint's pages that are new since the last landing.

    Loading is lazy: pages are fetched (``prefetch_pages`` ahead, in a background thread that
    also turns each page into RAW columns) while the consumer iterates. Records RAW already
    holds (the ties at the cursor boundary, or unchanged snapshot records) are dropped.

    Args:
        source: the source's name in ``api_sources`` (conf/base/sources_api.yml).
        endpoint: the endpoint's name in that source.
        spec: the source's declaration, when it is not in conf (tests).
        credentials: the mapping secret references point into (default: the project's
            credentials.yml, read only if a secret is not in the environment).
        prefetch_pages: pages fetched ahead of the consumer.
    """

    def __init__(
        self,
        *,
        source: str,
        endpoint: str,
        spec: Mapping[str, Any] | None = None,
        credentials: Mapping[str, Any] | None = None,
        prefetch_pages: int = 32,
        lake_uri: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(lake_uri=lake_uri, metadata=metadata)
        self._source = source
        self._endpoint = endpoint
        self._spec = spec
        self._credentials = credentials
        self._prefetch = prefetch_pages

    @property
    def spec(self) -> SourceSpec:
        sources = parse_sources({self._source: self._spec}) if self._spec else read_api_sources()
        if self._source not in sources or self._endpoint not in sources[self._source].endpoints:
            raise DatasetError(f"no REST endpoint {self._source}.{self._endpoint} in conf")
        return sources[self._source]

    @property
    def raw_uri(self) -> str:
        return self.lake.table_uri("raw", raw_table_name(self._source, self._endpoint))

    def load(self) -> Iterator[RawPage]:
        return prefetch(self._pages(), depth=self._prefetch)

    def _pages(self) -> Iterator[RawPage]:
        spec = self.spec
        with RestClient(self._source, spec, credentials=self._credentials) as client:
            yield from self._endpoint_pages(client)

    def _endpoint_pages(self, client: RestClient) -> Iterator[RawPage]:
        options = self.lake.storage_options
        uri = self.raw_uri
        name = f"{self._source}.{self._endpoint}"
        incremental = client.spec.endpoints[self._endpoint].cursor is not None
        seq = raw_seq(open_table(uri, storage_options=options))
        since = read_cursor(uri, storage_options=options) if incremental else None
        known = read_landed_hashes(
            uri, cursor=since, incremental=incremental, storage_options=options
        )
        log.info("%s: fetching (cursor %s)", name, since or "initial")
        fetched = kept = 0
        for page in client.iter_pages(self._endpoint, since=since):
            fetched += len(page.raw_records)
            # RAW columns built here, in the fetch thread, while the consumer writes
            rows = keep_new(
                raw_page(page, stream_seq=seq), known, cursor=since if incremental else None
            )
            kept += rows.size
            yield rows
        log.info("%s: %d records fetched, %d new", name, fetched, kept)

    def save(self, data: None) -> None:
        raise DatasetError("a REST source is read-only")

    def _exists(self) -> bool:
        return True

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "endpoint": f"{self._source}.{self._endpoint}"}

    def preview(self, nrows: int = 20) -> TablePreview:
        """The endpoint's declaration and where its incremental state stands (no request)."""
        endpoint = self.spec.endpoints[self._endpoint]
        cursor = read_cursor(self.raw_uri, storage_options=self.lake.storage_options)
        data = [
            ["path", endpoint.path],
            ["cursor field", endpoint.cursor.field if endpoint.cursor else "(snapshot)"],
            ["cursor landed", cursor or "(none yet)"],
            ["clean table", endpoint.clean_table],
        ]
        return TablePreview({"columns": ["setting", "value"], "data": data[:nrows]})
