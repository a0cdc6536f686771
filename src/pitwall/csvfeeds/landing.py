"""A CSV feed's pending input: the files at its location that have not landed yet, each
checked and opened for streaming (what the ``landing.csv.<feed>`` dataset loads).

A file has landed when RAW holds its batch (its id is derived from its content, so a copy
under another name is the same batch), or when the ingestion log holds its final status
(files rejected whole or holding no record land nothing in RAW).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.files import LandingFile, list_feed_files, local_copy, os_reason
from pitwall.csvfeeds.originals import OriginalStore
from pitwall.csvfeeds.parse import parse_csv
from pitwall.csvfeeds.resync import read_irregular
from pitwall.csvfeeds.scan import file_stamp, scan_file
from pitwall.csvfeeds.sniff import check_file
from pitwall.lake.commit import InputRejectedError
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
    """Each pending file opened in turn; it stays open until the next one is asked for.

    A file is first checked whole (:func:`~pitwall.csvfeeds.scan.scan_file`): a bad one is
    rejected alone with its reason; an irregular one is read by the careful reader."""
    pending = find_pending_files(feed, lake=lake)
    log.info("csv %s: %d file(s) to land", feed.name, len(pending))
    for file, batch in pending:
        started = utc_now()
        source = feed.source_of(file.uri)

        def rejected(reason: str) -> CsvInput:
            return CsvInput(feed.name, batch, source, started, error=reason)  # noqa: B023

        try:
            with local_copy(file) as path:
                if file_stamp(path)[0] != file.size:
                    yield rejected(CHANGED)
                    continue
                check = check_file(path, feed=feed)
                scan = scan_file(path, feed=feed) if not check.error else None
                if check.error or scan is None or scan.error:
                    yield rejected(check.error or (scan.error if scan else None) or "unreadable")
                    continue
                if scan.irregular:
                    log.warning(
                        "csv %s: %s: %s, read line by line", feed.name, source, scan.irregular
                    )
                    rows, rejects = read_irregular(
                        path, feed=feed, columns=check.columns, originals=OriginalStore(lake)
                    )
                    guarded = _guarded(rows, path=path, stamp=scan.stamp)
                    yield CsvInput(feed.name, batch, source, started, rows=guarded, rejects=rejects)
                    continue
                with parse_csv(
                    path, feed=feed, columns=check.columns, originals=OriginalStore(lake)
                ) as parsed:
                    guarded = _guarded(parsed.rows, path=path, stamp=scan.stamp)
                    yield CsvInput(
                        feed.name, batch, source, started, rows=guarded, rejects=parsed.rejects
                    )
        except OSError as exc:  # vanished, unreadable, a failed download: this file only
            yield rejected(f"cannot read the file: {os_reason(exc)}")


CHANGED = "the file changed while it was read (its new content lands in a later run)"


def _guarded(
    rows: pa.RecordBatchReader, *, path: Path, stamp: tuple[int, int]
) -> pa.RecordBatchReader:
    """``rows``, turning a read failure or a change of the file meanwhile into a rejection of
    this file only (:class:`~pitwall.lake.commit.InputRejectedError`)."""

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from rows
        except (duckdb.Error, OSError, EOFError, zlib.error, UnicodeError) as exc:
            reason = os_reason(exc) if isinstance(exc, OSError) else str(exc)
            reason = reason.replace(str(path), path.name)  # no server path in the log
            raise InputRejectedError(f"cannot read the file: {reason}") from exc
        if file_stamp(path) != stamp:
            raise InputRejectedError(CHANGED)

    return pa.RecordBatchReader.from_batches(rows.schema, batches())


def describe_pending(feed: CsvFeed, *, lake: Lake) -> list[list[Any]]:
    """``[feed, file, bytes]`` of each pending file (the landing dataset's preview)."""
    return [
        [feed.name, feed.source_of(f.uri), f.size] for f, _ in find_pending_files(feed, lake=lake)
    ]
