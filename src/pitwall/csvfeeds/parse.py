"""Streaming CSV parsing with DuckDB: rows as strings plus ingestion metadata, and the rejects.

DuckDB's reader is the fastest here (it is also the benchmark's baseline) and its
``store_rejects`` option reports each unparseable record with its line, error and text,
which is exactly what quarantine needs. Rows are streamed as Arrow batches, never
materialised whole.

DuckDB's parallel scan delivers the batches in file order (``preserve_insertion_order``):
the ingest_csv node numbers the rows as they arrive (see :mod:`pitwall.csvfeeds.raw_rows`).
"""

from __future__ import annotations

import glob
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.inflate import open_content
from pitwall.csvfeeds.originals import OriginalStore
from pitwall.sql.quoting import quote_ident, quote_literal

BATCH_ROWS = 262_144  # Arrow batches of up to one RAW row group


CUT = 10_000
"""DuckDB's reject rows hold at most this many characters of the original line."""


@dataclass
class ParsedCsv:
    """A file being parsed: ``rows`` streams the good records; ``rejects()`` after that."""

    rows: pa.RecordBatchReader
    _con: duckdb.DuckDBPyConnection
    _path: Path
    _feed: CsvFeed
    _originals: OriginalStore

    def rejects(self) -> list[dict[str, Any]]:
        """Unparseable records, one per line: ``source_row`` (line), ``reason``, ``record``."""
        found = self._con.execute(
            "SELECT line, string_agg(DISTINCT error_type || ': ' || error_message"
            "  || coalesce(' (column ' || column_name || ')', ''), '; '), any_value(csv_line) "
            "FROM pitwall_rejects GROUP BY line ORDER BY line"
        ).fetchall()
        return [
            {"source_row": int(line), "reason": reason, "record": self._whole(int(line), text)}
            for line, reason, text in found
        ]

    def _whole(self, line: int, text: str | None) -> str | None:
        """The original line, never cut: DuckDB's is at most :data:`CUT` characters, so a
        longer one is read again from the file (fast-path files have one record per line)."""
        if text is None or len(text) < CUT:
            return text
        with open_content(self._path) as fh:
            for number, raw in enumerate(fh, start=1):
                if number == line:
                    original = raw.removesuffix(b"\n").removesuffix(b"\r")
                    return self._originals.keep(original, encoding=self._feed.encoding)
        return text


@contextmanager
def parse_csv(
    path: Path, *, feed: CsvFeed, columns: tuple[str, ...], originals: OriginalStore
) -> Iterator[ParsedCsv]:
    """Parse one file of a feed: its records as strings, in file order (see :class:`ParsedCsv`)."""
    con = duckdb.connect()
    scratch = tempfile.TemporaryDirectory(prefix="pitwall-csv-")
    literal = _literal_path(path, Path(scratch.name))
    try:
        con.execute("SET preserve_insertion_order = true")
        con.execute("SET enable_progress_bar = false")  # progress is logged by the caller
        con.execute("SET memory_limit = '512MB'")  # streaming: bounded whatever the file size
        col_spec = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in columns) + "}"
        encoding = {"utf-8": "utf-8", "latin-1": "latin-1", "utf-16": "utf-16"}[feed.encoding]
        q = quote_literal
        options = {
            "columns": col_spec,
            "header": str(feed.header).lower(),
            "auto_detect": "false",
            "delim": q(feed.delimiter),
            "quote": q(feed.quote),
            "escape": q(feed.quote),
            "encoding": q(encoding),
            "strict_mode": "true",
            "store_rejects": "true",
            "rejects_table": q("pitwall_rejects"),
            "rejects_scan": q("pitwall_reject_scans"),
            "compression": q("auto"),
            "max_line_size": str(max(feed.max_record_bytes + 2, 2_097_152)),
        }
        reader = f"read_csv({q(str(literal))}, " + ", ".join(f"{k}={v}" for k, v in options.items())
        selected = ", ".join(quote_ident(c) for c in columns)
        # every identifier and literal is quoted above
        sql = f"SELECT {selected} FROM {reader})"  # nosec B608
        rows = con.sql(sql).to_arrow_reader(BATCH_ROWS)
        yield ParsedCsv(rows, con, path, feed, originals)
    finally:
        con.close()
        scratch.cleanup()


def _literal_path(path: Path, scratch: Path) -> Path:
    """A path DuckDB reads as one file: DuckDB expands ``*``, ``?`` and ``[`` in any path it is
    given (in lists too), so a name holding them is read through a plain-named symlink (the
    suffixes kept: they select the decompression)."""
    if not glob.has_magic(str(path)):
        return path
    link = scratch / ("input" + "".join(s for s in path.suffixes if not glob.has_magic(s)))
    link.symlink_to(path.resolve())
    return link
