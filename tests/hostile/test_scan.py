"""The pre-check's line rules hold across its read chunks (1 KiB here, as the cap)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pitwall.csvfeeds.feeds import parse_feeds
from pitwall.csvfeeds.scan import scan_file

from .corpus import HEADER, feed

CAP = 1024


def _scan(tmp_path: Path, data: bytes) -> str | None:
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    spec = {**feed(str(path)), "max_record_bytes": CAP}
    result = scan_file(path, feed=parse_feeds({"x": spec})["x"], chunk_bytes=CAP)
    assert result.error is None
    return result.irregular


def _line(size: int, *, quote_at: int | None = None) -> bytes:
    body = bytearray(b"k," + b"a" * (size - 2))
    if quote_at is not None:
        body[quote_at] = ord('"')
    return bytes(body)


@pytest.mark.parametrize("padding", [0, 1, 500, 1000, 1023, 1024, 1500])
def test_an_open_quote_is_seen_across_chunks(tmp_path: Path, padding: int) -> None:
    head = HEADER.encode() + b"\n" + b"p,x\n" * (padding // 4)
    data = head + _line(900, quote_at=5) + b"\n" + b"q,b\n" * 400
    assert _scan(tmp_path, data) == "a quoted field spans lines or a quote is unbalanced"
    balanced = head + _line(895) + b'"aa"a\n' + b"q,b\n" * 400
    assert _scan(tmp_path, balanced) is None


@pytest.mark.parametrize("offset", [0, 1, 300, 1023])
def test_the_record_cap_is_exact(tmp_path: Path, offset: int) -> None:
    head = HEADER.encode() + b"\n" + b"x" * offset + b"\n"
    assert _scan(tmp_path, head + _line(CAP) + b"\n" + b"q,b\n" * 300) is None
    too_long = _scan(tmp_path, head + _line(CAP + 1) + b"\n" + b"q,b\n" * 300)
    assert too_long == f"a record is longer than {CAP:,} bytes"
