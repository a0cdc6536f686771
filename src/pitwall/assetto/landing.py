"""The Assetto Corsa landing zone: completed Parquet files written by capture daemons.

Layout: ``<landing>/<any folders>/<kind>/<capture id>-<seq>.parquet`` (a daemon writes
``<out>/<kind>/...``). Hidden files (journals, temporary files of a running capture) are
never listed. A file's *marker* is its path relative to the landing root: its source in RAW,
and what its batch id is derived from.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from pitwall.assetto.tables import CAPTURE_QUARANTINE_KIND, RAW_KINDS, SOURCE
from pitwall.lake.ingest import make_batch_id, utc_now

__all__ = ["CaptureFile", "batch_id_for", "list_landing_files", "read_kind_files"]

log = logging.getLogger(__name__)
KINDS = frozenset((*RAW_KINDS, CAPTURE_QUARANTINE_KIND))


@dataclass(frozen=True)
class CaptureFile:
    """One completed capture file of a kind, read (``frame``) or not (``error``)."""

    marker: str
    kind: str
    batch_id: str
    started_at: datetime
    frame: pl.DataFrame | None = None
    error: str | None = None


def batch_id_for(marker: str) -> str:
    return make_batch_id(SOURCE, fingerprint=marker)


def list_landing_files(root: Path) -> list[tuple[str, Path]]:
    """``(marker, path)`` of every completed Parquet file under ``root``, in name order."""
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*.parquet"):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        found.append((rel.as_posix(), path))
    return sorted(found, key=lambda item: (item[1].name, item[0]))


def kind_of(path: Path) -> str:
    return path.parent.name


def read_kind_files(
    root: Path, claims: Callable[[str], bool], *, skip: set[str]
) -> Iterator[CaptureFile]:
    """The files of the kinds ``claims`` accepts whose batch is not in ``skip``, read one at
    a time; a file that cannot be read, or is of no known kind, comes with its error."""
    for marker, path in list_landing_files(root):
        batch = batch_id_for(marker)
        kind = kind_of(path)
        if not claims(kind) or batch in skip:
            continue
        started = utc_now()
        if kind not in KINDS:
            error = f"unknown dataset kind {kind!r}"
            yield CaptureFile(marker, CAPTURE_QUARANTINE_KIND, batch, started, error=error)
            continue
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:  # any unreadable file is this file's problem only
            log.warning("cannot read %s: %s", path, exc)
            yield CaptureFile(marker, kind, batch, started, error=f"unreadable Parquet: {exc}")
            continue
        yield CaptureFile(marker, kind, batch, started, frame=frame)
