"""Content digests of local landing files, remembered by (path, size, mtime, inode).

A landing folder keeps its files after they land, so a season's folder holds thousands of
them; hashing all of them on every run made a 10-row file cost what the whole folder costs.
A digest is computed once per version of a file: a file rewritten in place gets a new mtime
(nanoseconds) and so a new digest. The store is a SQLite file (stdlib; safe for concurrent
runs on one machine) under ``<home>/data/cache``; losing it only costs hashing again.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import blake3

from pitwall.settings import get_settings

log = logging.getLogger(__name__)
_UNUSABLE = "landing digest store unusable (%s): hashing every file"

_SCHEMA = """CREATE TABLE IF NOT EXISTS digests (
    path TEXT, size INTEGER, mtime_ns INTEGER, inode INTEGER, digest TEXT,
    PRIMARY KEY (path, size, mtime_ns, inode))"""


class DigestStore:
    """The store, open for one listing: one connection for every file of a folder."""

    def __init__(self, con: sqlite3.Connection | None) -> None:
        self._con = con

    def read(self, path: Path) -> str:
        """The file's ``blake3:<hex>`` digest, from the store when this version was hashed
        before. An ``OSError`` is the file's own (moved away, unreadable)."""
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)
        if self._con is not None:
            try:
                row = self._con.execute(
                    "SELECT digest FROM digests WHERE path=? AND size=? AND mtime_ns=? AND inode=?",
                    key,
                ).fetchone()
            except sqlite3.Error as exc:
                self._unusable(exc)
            else:
                if row:
                    return str(row[0])
        digest = hash_file(path)
        if self._con is not None:
            try:
                with self._con:
                    self._con.execute(
                        "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?)", (*key, digest)
                    )
            except sqlite3.Error as exc:
                self._unusable(exc)
        return digest

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
        self._con = None

    def _unusable(self, exc: Exception) -> None:
        log.warning(_UNUSABLE, exc)
        self.close()


@contextmanager
def open_digest_store() -> Iterator[DigestStore]:
    """The store under ``<home>/data/cache``; a broken, locked or read-only one only costs
    hashing (it is left out, with a warning)."""
    try:
        con: sqlite3.Connection | None = _connect()
    except (sqlite3.Error, OSError) as exc:
        log.warning(_UNUSABLE, exc)
        con = None
    store = DigestStore(con)
    try:
        yield store
    finally:
        store.close()


def read_digest(path: Path) -> str:
    """One file's digest (see :class:`DigestStore`)."""
    with open_digest_store() as store:
        return store.read(path)


_READ_BYTES = 16 << 20


def hash_file(path: Path) -> str:
    """BLAKE3 of the file: cryptographic like SHA-256 but multi-threaded, ~5x faster here.

    Read in 16 MiB blocks, not ``update_mmap``: a mapped file's pages count in the process's
    RSS (a 2.3 GB landing file put the ingest at 2.5 GB).
    """
    digest = blake3.blake3(max_threads=blake3.blake3.AUTO)
    buffer = bytearray(_READ_BYTES)
    view = memoryview(buffer)
    with path.open("rb") as fh:
        while read := fh.readinto(buffer):
            digest.update(view[:read])
    return "blake3:" + digest.hexdigest()


def _connect() -> sqlite3.Connection:
    folder = get_settings().home / "data" / "cache"
    os.makedirs(folder, exist_ok=True)
    con = sqlite3.connect(folder / "landing_digests.sqlite", timeout=30)
    try:
        con.execute(_SCHEMA)
    except sqlite3.Error:
        con.close()
        raise
    return con
