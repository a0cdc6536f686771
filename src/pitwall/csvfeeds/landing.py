"""A CSV feed's pending input: the files at its location that have not landed yet, each
checked and opened for streaming (what the ``landing.csv.<feed>`` dataset loads).

A file has landed when RAW holds its batch (its id is derived from its content, so a copy
under another name is the same batch), or when the ingestion log holds its final status
(files rejected whole or holding no record land nothing in RAW).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pyarrow as pa

from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.files import LandingFile, list_feed_files, local_copy
from pitwall.csvfeeds.parse import parse_csv
from pitwall.csvfeeds.sniff import check_file
from pitwall.lake.delta import open_table
from pitwall.lake.ingest import make_batch_id, utc_now
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_finished_batches
from pitwall.lake.txn import read_batch_ids

log = logging.getLogger(__name__)
PIPELINE = "ingest_csv"


def batch_id_for(file: LandingFile) -> str:
    return make_batch_id(f"csv:{file.feed}", fingerprint=file.fingerprint)


@dataclass
class CsvInput:
    """One pending file, opened: ``rows`` streams its parsed records (strings, file order);
    ``rejects()`` gives the records that could not be parsed, once ``rows`` is consumed."""

    feed: str
    batch_id: str
    source: str
    started_at: datetime
    rows: pa.RecordBatchReader | None = None
    error: str | None = None
    rejects: Callable[[], list[dict[str, Any]]] = field(default=list)


def find_pending_files(feed: CsvFeed, *, lake: Lake) -> list[tuple[LandingFile, str]]:
    """The feed's files not landed yet, with their batch ids (a copy of a file counts once)."""
    files = [(f, batch_id_for(f)) for f in list_feed_files(feed)]
    if not files:
        return []
    raw = open_table(lake.table_uri("raw", feed.raw_table), storage_options=lake.storage_options)
    ids = {b for _, b in files}
    landed = read_batch_ids(raw, storage_options=lake.storage_options, candidates=ids)
    done = landed | read_finished_batches(ids - landed, lake=lake)
    pending, seen = [], set()
    for file, batch in files:
        if batch not in done and batch not in seen:
            seen.add(batch)
            pending.append((file, batch))
    return pending


def open_pending_files(feed: CsvFeed, *, lake: Lake) -> Iterator[CsvInput]:
    """Each pending file opened in turn; it stays open until the next one is asked for."""
    pending = find_pending_files(feed, lake=lake)
    log.info("csv %s: %d file(s) to land", feed.name, len(pending))
    for file, batch in pending:
        started = utc_now()
        source = feed.source_of(file.uri)
        try:
            with local_copy(file) as path:
                check = check_file(path, feed=feed)
                if check.error:
                    yield CsvInput(feed.name, batch, source, started, error=check.error)
                    continue
                with parse_csv(path, feed=feed, columns=check.columns) as parsed:
                    yield CsvInput(
                        feed.name, batch, source, started, rows=parsed.rows, rejects=parsed.rejects
                    )
        except OSError as exc:  # vanished, unreadable, a failed download: this file only
            yield CsvInput(feed.name, batch, source, started, error=f"cannot read the file: {exc}")


def describe_pending(feed: CsvFeed, *, lake: Lake) -> list[list[Any]]:
    """``[feed, file, bytes]`` of each pending file (the landing dataset's preview)."""
    return [
        [feed.name, feed.source_of(f.uri), f.size] for f, _ in find_pending_files(feed, lake=lake)
    ]
