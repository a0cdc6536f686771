"""The Assetto Corsa landing zone: completed Parquet files written by capture daemons.

Layout: ``<landing>/<any folders>/<kind>/<capture id>-<seq>.parquet`` (a daemon writes
``<out>/<kind>/...``). Hidden files (journals, temporary files of a running capture) are
never listed. A file's *marker* is its path relative to the landing root.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pitwall.assetto.tables import CAPTURE_QUARANTINE_KIND, RAW_KINDS

__all__ = ["LandingFile", "list_landing_files", "read_landing_files"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandingFile:
    """One completed capture file, read (``frame``) or not (``error``)."""

    marker: str
    kind: str
    capture_id: str
    frame: pl.DataFrame | None = None
    error: str | None = None


def _capture_id(path: Path) -> str:
    return path.stem.rsplit("-", 1)[0]


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


def read_landing_files(root: Path, *, skip: set[str]) -> list[LandingFile]:
    """Read the files not in ``skip``; a file that cannot be read is returned with its error."""
    files = []
    for marker, path in list_landing_files(root):
        if marker in skip:
            continue
        kind = path.parent.name
        capture_id = _capture_id(path)
        if kind not in RAW_KINDS and kind != CAPTURE_QUARANTINE_KIND:
            files.append(
                LandingFile(marker, kind, capture_id, error=f"unknown dataset kind {kind!r}")
            )
            continue
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:
            log.warning("cannot read %s: %s", path, exc)
            files.append(LandingFile(marker, kind, capture_id, error=f"unreadable Parquet: {exc}"))
            continue
        files.append(LandingFile(marker, kind, capture_id, frame=frame))
    return files
