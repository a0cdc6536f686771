"""Streaming gzip inflation with a cap: used to check a whole ``.gz`` (ingest and uploads)
without holding it, and to read a checked one.

``gzip.GzipFile`` cannot cap the inflated size while it reads, nor tell a corrupt stream from a
truncated one in a stable way; ``zlib.decompressobj`` with ``max_length`` does both in bounded
memory, so this is the small loop around it (concatenated members are one stream, as in gzip).
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal, cast

GZIP_MAGIC = b"\x1f\x8b"
_OUT = 1 << 20
_READ = 1 << 20


class InflateError(ValueError):
    """Not a complete gzip stream (``corrupt``), or inflating beyond the cap (``too_large``)."""

    def __init__(self, kind: Literal["corrupt", "too_large"], message: str) -> None:
        super().__init__(message)
        self.kind = kind


def is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == GZIP_MAGIC


def inflate(chunks: Iterable[bytes], *, max_bytes: int) -> Iterator[bytes]:
    """The inflated bytes of a gzip stream given in ``chunks``, in pieces of at most 1 MiB.

    Raises:
        InflateError: corrupt or truncated stream, or more than ``max_bytes`` inflated.
    """
    inflater: Any = None
    total = 0

    def step(data: bytes) -> bytes:
        nonlocal total
        try:
            out: bytes = inflater.decompress(data, _OUT)
        except zlib.error as exc:
            raise InflateError("corrupt", f"corrupt gzip stream: {exc}") from exc
        total += len(out)
        if total > max_bytes:
            raise InflateError("too_large", f"gzip inflates beyond the cap of {max_bytes:,} bytes")
        return out

    for chunk in chunks:
        data = chunk
        while data:
            if inflater is None or inflater.eof:
                if inflater is not None and not data.strip(b"\0"):
                    break  # NUL padding after the last member
                inflater = zlib.decompressobj(wbits=31)  # the first or a concatenated member
            if out := step(data):
                yield out
            data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
    while inflater is not None and not inflater.eof and (out := step(b"")):
        yield out  # output zlib still holds
    if inflater is None:
        raise InflateError("corrupt", "empty gzip stream")
    if not inflater.eof:
        raise InflateError("corrupt", "truncated gzip stream: unexpected end of data")


def open_content(path: Path) -> IO[bytes]:
    """The file's content as a binary stream, inflated when it is gzip (checked before)."""
    if is_gzip(path):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def read_chunks(path: Path, *, size: int = _READ) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def inflate_file(path: Path, *, max_bytes: int, chunk_bytes: int = _READ) -> Iterator[bytes]:
    """The content of a file: inflated (checked against the cap) when it is gzip, else as is,
    in pieces of at most ``chunk_bytes``."""
    if is_gzip(path):
        for piece in inflate(read_chunks(path), max_bytes=max_bytes):
            for at in range(0, len(piece), chunk_bytes):
                yield piece[at : at + chunk_bytes]
    else:
        yield from read_chunks(path, size=chunk_bytes)
