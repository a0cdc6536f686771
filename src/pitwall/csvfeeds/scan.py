"""The streaming pre-check of a landing file, one pass in bounded memory before parsing.

It rejects a file whose ``.gz`` is corrupt, truncated or inflates beyond the feed's cap, and
tells whether DuckDB's fast reader can parse the rest safely. DuckDB falls short on hostile
text: an unbalanced quote makes it swallow the rest of the file as one field, lines of 32 MiB
or more vanish, and its reject rows cut the original at 10,000 characters. Such files go to
the careful reader instead (:mod:`pitwall.csvfeeds.resync`). The checks per 1 MiB are a few
``bytes`` searches (memchr speed); quote parity per line runs (numpy) only on chunks with quotes.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.inflate import InflateError, inflate_file

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class FileScan:
    """What the pre-check found: why the file is rejected whole, or why (if) it needs the
    careful reader; and the file's ``(size, mtime)`` when it was read."""

    stamp: tuple[int, int]
    error: str | None = None
    irregular: str | None = None


def file_stamp(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


def scan_file(path: Path, *, feed: CsvFeed, chunk_bytes: int = 1 << 20) -> FileScan:
    """Read the whole file once (inflating a ``.gz``) and judge it (see the module docstring)."""
    stamp = file_stamp(path)
    lines = _LineCheck(feed)
    try:
        for chunk in inflate_file(
            path, max_bytes=feed.max_decompressed_bytes, chunk_bytes=chunk_bytes
        ):
            lines.feed(chunk)
    except InflateError as exc:
        return FileScan(stamp, error=str(exc))
    return FileScan(stamp, irregular=lines.finish())


class _LineCheck:
    def __init__(self, feed: CsvFeed) -> None:
        self.cap = feed.max_record_bytes
        self.quote = feed.quote.encode()
        self.text = feed.encoding != "utf-16"  # UTF-16 is read by DuckDB as declared
        self.decoder = codecs.getincrementaldecoder(feed.encoding)()
        self.run = 0  # bytes since the last newline
        self.open_quotes = 0  # quotes since the last newline
        self.first = True
        self.irregular: str | None = None

    def feed(self, chunk: bytes) -> None:
        if self.irregular or not self.text:
            return
        self.irregular = self._judge(chunk)
        self.first = False

    def finish(self) -> str | None:
        if not self.irregular and self.text:
            if self.run > self.cap:
                return f"a record is longer than {self.cap:,} bytes"
            if self.open_quotes % 2:
                return "a quoted field is not closed at the end of the file"
            try:
                self.decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return "the text ends inside a character"
        return self.irregular

    def _judge(self, chunk: bytes) -> str | None:
        if b"\x00" in chunk:
            return "NUL bytes"
        # each costly search only runs when a one-byte memchr says it may find something
        if b"\xef" in chunk and chunk.find(_BOM, 1 if self.first else 0) >= 0:
            return "a byte order mark inside the file"
        if b"\r" in chunk and chunk.count(b"\r") != chunk.count(b"\r\n"):
            return "bare CR line endings"
        try:
            self.decoder.decode(chunk)
        except UnicodeDecodeError:
            return "text that is not valid in the declared encoding"
        return self._lengths(chunk) or self._quotes(chunk)

    def _lengths(self, chunk: bytes) -> str | None:
        first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
        too_long = f"a record is longer than {self.cap:,} bytes"
        if first < 0:
            self.run += len(chunk)
            return too_long if self.run > self.cap else None
        if self.run + first > self.cap:
            return too_long
        if last - first > self.cap:  # lines inside the chunk: exact only when needed
            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == ord("\n"))
            if np.diff(ends).max(initial=0) > self.cap + 1:
                return too_long
        self.run = len(chunk) - last - 1
        return None

    def _quotes(self, chunk: bytes) -> str | None:
        if self.quote not in chunk:
            if b"\n" not in chunk:
                return None
            odd, self.open_quotes = self.open_quotes % 2, 0  # the carried line ends here
            return "a quoted field spans lines or a quote is unbalanced" if odd else None
        data = np.frombuffer(chunk, dtype=np.uint8)
        quotes = np.flatnonzero(data == self.quote[0])
        ends = np.flatnonzero(data == ord("\n"))
        before = np.searchsorted(quotes, ends)  # quotes before each newline
        per_line = np.diff(before, prepend=0)
        if len(per_line):
            per_line[0] += self.open_quotes
        if (per_line % 2).any():
            return "a quoted field spans lines or a quote is unbalanced"
        self.open_quotes = int(len(quotes) - (before[-1] if len(before) else 0)) + (
            0 if len(ends) else self.open_quotes
        )
        return None
