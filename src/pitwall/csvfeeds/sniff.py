"""File-level checks before parsing: empty, binary, header against the declared columns."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

from pitwall.csvfeeds.feeds import CsvFeed

_SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class FileCheck:
    """What the first bytes of a file say: its header, or why the file is rejected."""

    columns: tuple[str, ...] = ()
    error: str | None = None


def read_head(path: Path) -> bytes:
    """The first bytes of a file, decompressed when it is gzip."""
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"corrupt gzip stream: {exc}") from exc
    with path.open("rb") as fh:
        return fh.read(_SNIFF_BYTES)


def check_file(path: Path, *, feed: CsvFeed) -> FileCheck:
    """Reject what cannot be a CSV of this feed; otherwise return the file's columns."""
    try:
        head = read_head(path)
    except ValueError as exc:
        return FileCheck(error=str(exc))
    if not head.strip():
        return FileCheck(error="empty file")
    encoding = "utf-16" if feed.encoding == "utf-16" else feed.encoding
    if encoding != "utf-16" and b"\x00" in head.split(b"\n", 1)[0]:
        return FileCheck(error="not a CSV file: binary content (NUL bytes in the header)")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff")
    if not feed.header:
        return FileCheck(columns=tuple(feed.columns))
    first = next(csv.reader(io.StringIO(text), delimiter=feed.delimiter, quotechar=feed.quote), [])
    header = tuple(c.strip() for c in first)
    if "\ufffd" in "".join(header):
        return FileCheck(error=f"not a CSV file: header is not valid {feed.encoding} text")
    return _match_header(header, feed=feed)


def _match_header(header: tuple[str, ...], *, feed: CsvFeed) -> FileCheck:
    unknown = [c for c in header if c not in feed.columns]
    required = [n for n, spec in feed.columns.items() if spec.required or n in feed.key]
    missing = [c for c in required if c not in header]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    problems = []
    if unknown:
        problems.append(f"undeclared columns {unknown}")
    if missing:
        problems.append(f"missing declared columns {missing}")
    if duplicated:
        problems.append(f"duplicated columns {duplicated}")
    if problems:
        return FileCheck(error="header does not match the declared columns: " + "; ".join(problems))
    return FileCheck(columns=header)
