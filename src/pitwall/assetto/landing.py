"""The Assetto Corsa landing zone: completed Parquet files written by capture daemons.

Layout: ``<landing>/<any folders>/<kind>/<capture id>-<seq>.parquet`` (a daemon writes
``<out>/<kind>/...``). Hidden files (journals, temporary files of a running capture) are
never listed. A file's *marker* is its path relative to the landing root: its source in RAW,
and what its batch id is derived from.

The landing root is a local folder, or an ``s3://bucket/prefix`` the daemons upload to
(``telemetry-capture --upload``). An uploaded object is complete by construction (a daemon
uploads only finished files, in one PUT), so every Parquet object under the prefix is listed.
A daemon's ``--upload s3://<bucket>/landing/assetto/<name>`` and ``--out <volume>/<name>``
give the same markers, so the same files are the same batches in either landing zone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import polars as pl

from pitwall.assetto.tables import CAPTURE_QUARANTINE_KIND, RAW_KINDS, SOURCE
from pitwall.lake.ingest import make_batch_id, utc_now
from pitwall.lake.layout import is_remote_uri, object_store_fs

__all__ = [
    "CaptureFile",
    "LandingRoot",
    "batch_id_for",
    "list_landing_files",
    "read_kind_files",
]

log = logging.getLogger(__name__)
KINDS = frozenset((*RAW_KINDS, CAPTURE_QUARANTINE_KIND))
LandingRoot = Path | str
"""A local folder, or an object-store URI (``s3://bucket/landing/assetto``)."""


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


def list_landing_files(
    root: LandingRoot, *, kinds: Callable[[str], bool] | None = None
) -> list[tuple[str, str]]:
    """``(marker, location)`` of every completed Parquet file under ``root``, in name order
    (a location is a local path, or the object's ``s3://`` URI).

    Args:
        root: the landing root.
        kinds: only the files of the kinds (their folder's name) this accepts (default: all).
    """
    if isinstance(root, str) and is_remote_uri(root):
        found = _list_remote(root)
        if kinds is not None:
            found = [(m, loc) for m, loc in found if kinds(kind_of(loc))]
    else:
        found = _list_local(Path(root), kinds=kinds)
    return sorted(found, key=lambda item: (PurePosixPath(item[1]).name, item[0]))


def _list_local(root: Path, *, kinds: Callable[[str], bool] | None) -> list[tuple[str, str]]:
    # os.walk rather than Path.rglob: hidden folders are pruned, not walked, and a folder of
    # another kind costs one name test instead of a Path per file (a season's landing zone
    # holds thousands of files, listed by each of the pipeline's datasets)
    if not root.is_dir():
        return []
    found = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        here = Path(folder)
        if kinds is not None and not kinds(here.name):
            continue
        rel = here.relative_to(root)
        found += [
            ((rel / name).as_posix(), os.path.join(folder, name))
            for name in names
            if name.endswith(".parquet") and not name.startswith(".")
        ]
    return found


def _list_remote(root: str) -> list[tuple[str, str]]:
    fs, prefix = object_store_fs(root)
    scheme = root.split("://", 1)[0]
    try:
        keys = fs.find(prefix, detail=False)
    except FileNotFoundError:
        return []
    found = []
    for key in keys:
        rel = PurePosixPath(str(key)).relative_to(prefix)
        if rel.suffix != ".parquet" or any(part.startswith(".") for part in rel.parts):
            continue
        found.append((rel.as_posix(), f"{scheme}://{key}"))
    return found


def landing_exists(root: LandingRoot) -> bool:
    """A local landing folder exists once a daemon wrote to it; a bucket prefix always does
    (an empty one lists nothing)."""
    if isinstance(root, str) and is_remote_uri(root):
        return True
    return Path(root).is_dir()


def kind_of(location: str) -> str:
    return PurePosixPath(location).parent.name


def _fetch(location: str) -> str | bytes:
    """What to parse: a local path, or an object's bytes. An object store that cannot be
    reached fails the run here (the file stays pending), never the file."""
    if not is_remote_uri(location):
        return location
    fs, path = object_store_fs(location)
    return bytes(fs.cat_file(path))


def read_kind_files(files: list[tuple[str, str]], *, skip: set[str]) -> Iterator[CaptureFile]:
    """The ``files`` (``(marker, location)``, as listed) whose batch is not in ``skip``, read
    one at a time; a file that cannot be read, or is of no known kind, comes with its error."""
    for marker, location in files:
        batch = batch_id_for(marker)
        kind = kind_of(location)
        if batch in skip:
            continue
        started = utc_now()
        if kind not in KINDS:
            error = f"unknown dataset kind {kind!r}"
            yield CaptureFile(marker, CAPTURE_QUARANTINE_KIND, batch, started, error=error)
            continue
        source = _fetch(location)
        try:
            frame = pl.read_parquet(source)
        except Exception as exc:  # any unreadable file is this file's problem only
            log.warning("cannot read %s: %s", location, exc)
            yield CaptureFile(marker, kind, batch, started, error=f"unreadable Parquet: {exc}")
            continue
        yield CaptureFile(marker, kind, batch, started, frame=frame)
