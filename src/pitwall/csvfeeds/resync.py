"""The careful CSV reader, for files the pre-check found irregular (see
:mod:`pitwall.csvfeeds.scan`): every record ends in RAW or as a reject with its original.

Our own resync because DuckDB's reader falls short here (its strict mode and reject tables do
not resync after an unbalanced quote: the rest of the file becomes one field). The rules:

- physical lines end at LF, CRLF or a bare CR; blank lines are not records;
- a line longer than the feed's ``max_record_bytes`` is a reject (its bytes streamed to a side
  object, never held whole);
- a line that is not valid text in the feed's encoding, or holds NUL bytes, is a reject;
- a line with an odd number of quotes opens a quoted field: following lines join it while
  the record stays within the cap; if the joined text parses (strict CSV) into exactly the
  header's fields, and no line inside it is a well-formed record on its own (that would be two
  stray quotes, not one quoted field), it is one record; otherwise the first line alone is a
  reject and reading resumes on the next line, so a stray quote costs one record, never the
  ones after it;
- any other line parses strictly into exactly the header's fields, or is a reject.

Rejects carry their physical line number (the header is line 1), the reason, and the original.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa

from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.inflate import open_content
from pitwall.csvfeeds.originals import OriginalStore

BATCH_ROWS = 65_536
_READ = 1 << 20
Line = tuple[int, bytes | None, str]  # (line number, bytes or None when over the cap, reference)


def read_irregular(
    path: Path, *, feed: CsvFeed, columns: tuple[str, ...], originals: OriginalStore
) -> tuple[pa.RecordBatchReader, Callable[[], list[dict[str, Any]]]]:
    """Parse a checked file line by line: its records as strings, and its rejects (after)."""
    schema = pa.schema([pa.field(c, pa.string()) for c in columns])
    reader = _Resync(feed, width=len(columns), originals=originals)

    def batches() -> Iterator[pa.RecordBatch]:
        with open_content(path) as fh:
            rows: list[list[str]] = []
            for fields in reader.records(fh):
                rows.append(fields)
                if len(rows) == BATCH_ROWS:
                    yield _batch(rows, schema)
                    rows = []
            if rows:
                yield _batch(rows, schema)

    return pa.RecordBatchReader.from_batches(schema, batches()), lambda: reader.rejects


def _batch(rows: list[list[str]], schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array([r[i] for r in rows], pa.string()) for i in range(len(schema))], schema=schema
    )


class _Resync:
    def __init__(self, feed: CsvFeed, *, width: int, originals: OriginalStore) -> None:
        self.feed = feed
        self.width = width
        self.cap = feed.max_record_bytes
        self.originals = originals
        self.rejects: list[dict[str, Any]] = []

    def records(self, fh: IO[bytes]) -> Iterator[list[str]]:
        lines = self._lines(fh)
        pending: deque[Line] = deque()

        def take() -> Line | None:
            return pending.popleft() if pending else next(lines, None)

        if self.feed.header:
            take()  # checked against the declared columns before
        while (line := take()) is not None:
            number, raw, reference = line
            if raw is None:
                self._reject(number, f"record longer than {self.cap:,} bytes", reference=reference)
                continue
            text, problem = self._text(raw)
            if problem or text is None:
                self._reject(number, problem or "unreadable", raw)
                continue
            if not text.strip():
                continue
            if text.count(self.feed.quote) % 2:
                joined, used = self._join(text, take)
                fields = self._parse(joined) if joined is not None else None
                if isinstance(fields, list):
                    yield fields
                    continue
                pending.extendleft(reversed(used))
                self._reject(number, "unbalanced quote: the record does not close", raw)
                continue
            fields = self._parse(text)
            if isinstance(fields, list):
                yield fields
            else:
                self._reject(number, fields, raw)

    def _join(self, text: str, take: Callable[[], Line | None]) -> tuple[str | None, list[Line]]:
        """Lines joined to ``text`` until its quotes balance within the cap (None: they don't)."""
        used: list[Line] = []
        quotes, size = text.count(self.feed.quote), len(text)
        parts = [text]
        while quotes % 2:
            line = take()
            if line is None:
                return None, used
            used.append(line)
            more, problem = self._text(line[1]) if line[1] is not None else (None, "long")
            if more is None or problem:
                return None, used
            size += len(more) + 1
            if size > self.cap:
                return None, used
            quotes += more.count(self.feed.quote)
            parts.append(more)
        if any(isinstance(self._parse(inner), list) for inner in parts[1:-1]):
            return None, used  # two stray quotes, not one field: never swallow the records between
        return "\n".join(parts), used

    def _parse(self, text: str) -> list[str] | str:
        """The record's fields, or why it is not one."""
        dialect = {"delimiter": self.feed.delimiter, "quotechar": self.feed.quote}
        try:
            rows = list(csv.reader([text], strict=True, **dialect))  # type: ignore[arg-type]
        except csv.Error as exc:
            return f"malformed CSV: {exc}"
        if len(rows) != 1:
            return "malformed CSV: not one record"
        if len(rows[0]) != self.width:
            return f"expected {self.width} fields, found {len(rows[0])}"
        return rows[0]

    def _text(self, raw: bytes) -> tuple[str | None, str | None]:
        try:
            text = raw.decode(self.feed.encoding)
        except UnicodeDecodeError as exc:
            where = f"{exc.reason} at byte {exc.start}"
            return None, f"INVALID ENCODING: not valid {self.feed.encoding}: {where}"
        if "\x00" in text:
            return None, "NUL byte in the record"
        return text.removeprefix("\ufeff"), None

    def _reject(
        self, number: int, reason: str, original: bytes = b"", *, reference: str = ""
    ) -> None:
        record = reference or self.originals.keep(original, encoding=self.feed.encoding)
        self.rejects.append({"source_row": number, "reason": reason, "record": record})

    def _lines(self, fh: IO[bytes]) -> Iterator[Line]:
        number = 0
        while chunk := fh.readline(self.cap + 1):
            if len(chunk) > self.cap and not chunk.endswith(b"\n"):
                number += 1
                yield number, None, self._stream_long(chunk, fh)
                continue
            body = chunk.removesuffix(b"\n").removesuffix(b"\r")
            for part in body.split(b"\r"):  # a bare CR ends a line too
                number += 1
                yield number, part, ""

    def _stream_long(self, head: bytes, fh: IO[bytes]) -> str:
        """The rest of an over-long line, streamed to a side object (never held whole)."""
        with self.originals.writer() as out:
            out.write(head)
            while True:
                piece = fh.readline(_READ)
                out.write(piece.removesuffix(b"\n").removesuffix(b"\r"))
                if not piece or piece.endswith(b"\n"):
                    break
        return out.reference
