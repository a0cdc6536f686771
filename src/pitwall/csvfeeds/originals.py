"""Original bytes of quarantined records, never truncated.

A record whose original is short text stays inline in the quarantine row; a long one (or one
that is not valid text) is stored whole as a side object under the lake,
``quarantine/_originals/<sha256>`` (content-addressed: a re-run writes the same object), and the
row holds a reference to it: ``<side object> quarantine/_originals/<sha256> (<n> bytes)``.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from pitwall.lake.files_append import table_filesystem
from pitwall.lake.layout import Lake

INLINE_MAX = 64 * 1024
ORIGINALS = "quarantine/_originals"
REFERENCE = "<side object> {path} ({size} bytes)"


@dataclass(frozen=True)
class OriginalStore:
    """Where a feed's quarantined originals go (the lake)."""

    lake: Lake

    def keep(self, original: bytes, *, encoding: str) -> str:
        """The record text for the quarantine row: the original itself, or a reference."""
        if len(original) <= INLINE_MAX:
            try:
                text = original.decode(encoding)
            except UnicodeDecodeError:
                pass
            else:
                if "\x00" not in text:
                    return text
        with self.writer() as out:
            out.write(original)
        return out.reference

    @contextmanager
    def writer(self) -> Iterator[_SideObject]:
        """A side object written piece by piece (a record too long to hold in memory)."""
        with tempfile.TemporaryFile(prefix="pitwall-original-") as tmp:
            side = _SideObject(tmp)
            yield side
            side.store(self.lake)


class _SideObject:
    def __init__(self, tmp: BinaryIO) -> None:
        self._tmp = tmp
        self._hash = hashlib.sha256()
        self.size = 0
        self.reference = ""

    def write(self, data: bytes) -> None:
        self._hash.update(data)
        self._tmp.write(data)
        self.size += len(data)

    def store(self, lake: Lake) -> None:
        name = self._hash.hexdigest()
        fs = table_filesystem(f"{lake.root}/{ORIGINALS}", dict(lake.storage_options))
        if fs.get_file_info(name).size != self.size:  # content-addressed: written once
            self._tmp.seek(0)
            with fs.open_output_stream(f".{name}.part") as out:
                shutil.copyfileobj(self._tmp, out, 1 << 20)
            fs.move(f".{name}.part", name)
        self.reference = REFERENCE.format(path=f"{ORIGINALS}/{name}", size=self.size)
