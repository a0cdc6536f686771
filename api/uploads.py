"""CSV uploads into a feed's landing zone, where the next ``ingest_csv`` run picks them up.

Feeds are the ones declared for ``ingest_csv`` (``parameters`` -> ``ingest_csv.feeds``, read
with Kedro's config loader so ``${globals:...}`` and ``${oc.env:...}`` resolve as in a run).
A file is stored as ``<static prefix of the feed's location glob>/<name>`` only if:
- ``name`` is a plain file name (no path, no ``..``) matching the location glob;
- its size is within the limit; a ``.gz`` inflates whole, without error and within the feed's
  ``max_decompressed_bytes`` (checked streaming; 413 beyond, 422 corrupt or truncated);
- its header matches the declared columns (the same check
  ``ingest_csv`` applies, :func:`pitwall.csvfeeds.sniff.check_file`);
- no file of that name is there yet (never overwritten).
Local writes go to a hidden temporary file (ignored by ``ingest_csv``) then are linked into
place atomically; S3 puts are atomic.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pitwall.csvfeeds.feeds import CsvFeed
from pitwall.csvfeeds.feeds import read_csv_feeds as read_declared_feeds
from pitwall.csvfeeds.files import s3_filesystem
from pitwall.csvfeeds.inflate import InflateError, inflate, is_gzip, read_chunks
from pitwall.csvfeeds.sniff import check_file

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_GLOB_CHARS = re.compile(r"[*?\[]")
_CHUNK = 1 << 20


class UploadRejectedError(Exception):
    """The upload cannot be stored; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class StoredUpload:
    uri: str
    name: str
    size: int
    columns: tuple[str, ...]


def read_csv_feeds(home: Path) -> dict[str, CsvFeed]:
    """The CSV feeds declared in ``<home>/conf`` (``base`` + ``local`` or ``KEDRO_ENV``)."""
    return read_declared_feeds(home=home)


def landing_dir(feed: CsvFeed, *, home: Path) -> str:
    """The fixed part of the feed's location glob: where uploads are stored."""
    directory = _static_dir(feed)
    if feed.is_remote or os.path.isabs(directory):
        return directory
    return str(home / directory)


def public_location(feed: CsvFeed, *, name: str | None = None) -> str:
    """The feed's location glob (or its stored file ``name``) as the API shows it.

    An ``s3://`` URI as it is; a local path as configured when relative (to the project home);
    an absolute one relative to the landing zone (the folder above the feed's folder). Never
    an absolute server path.
    """
    target = feed.location if name is None else f"{_static_dir(feed)}/{name}"
    if feed.is_remote or not os.path.isabs(target):
        return target
    return str(Path(target).relative_to(Path(_static_dir(feed)).parent))


def _static_dir(feed: CsvFeed) -> str:
    scheme = "s3://" if feed.is_remote else ""
    parts = feed.location.removeprefix(scheme).split("/")
    static = []
    for part in parts[:-1]:
        if _GLOB_CHARS.search(part):
            break
        static.append(part)
    return scheme + "/".join(static)


def check_name(name: str | None, feed: CsvFeed, *, home: Path) -> str:
    """``name`` if it is a plain file name that the feed's glob matches once stored in
    :func:`landing_dir`; otherwise a 422."""
    if not name or not _SAFE_NAME.match(name) or ".." in name:
        raise UploadRejectedError(
            422, f"invalid file name {name!r}: letters, digits, '.', '_', '-' only, no path"
        )
    location = feed.location
    if not feed.is_remote and not os.path.isabs(location):
        location = str(home / location)
    if not fnmatch.fnmatchcase(f"{landing_dir(feed, home=home)}/{name}", location):
        pattern = feed.location.rsplit("/", 1)[-1]
        raise UploadRejectedError(422, f"file name {name!r} does not match {pattern!r}")
    return name


def write_upload(
    source: IO[bytes], *, name: str | None, feed: CsvFeed, home: Path, max_bytes: int
) -> StoredUpload:
    """Validate and store one uploaded file (see module docstring).

    Raises:
        UploadRejectedError: 413 too large (or inflating too far), 422 bad name, header or
            gzip stream, 409 name taken.
    """
    name = check_name(name, feed, home=home)
    target_dir = landing_dir(feed, home=home)
    with tempfile.TemporaryDirectory(prefix="pitwall-upload-") as scratch:
        staged = Path(scratch) / name
        size = _copy_limited(source, staged, max_bytes=max_bytes)
        _check_inflates(staged, feed=feed)
        check = check_file(staged, feed=feed)
        if check.error:
            raise UploadRejectedError(422, check.error)
        if feed.is_remote:
            uri = _put_s3(staged, f"{target_dir}/{name}")
        else:
            uri = _link_local(staged, Path(target_dir), name)
    return StoredUpload(uri=uri, name=name, size=size, columns=check.columns)


def _copy_limited(source: IO[bytes], target: Path, *, max_bytes: int) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise UploadRejectedError(413, f"file larger than {max_bytes} bytes")
            out.write(chunk)
    if size == 0:
        raise UploadRejectedError(422, "empty file")
    return size


def _check_inflates(staged: Path, *, feed: CsvFeed) -> None:
    """A ``.gz`` upload is inflated whole (streamed, bounded memory) against the feed's cap."""
    if not is_gzip(staged):
        return
    try:
        for _ in inflate(read_chunks(staged), max_bytes=feed.max_decompressed_bytes):
            pass
    except InflateError as exc:
        raise UploadRejectedError(413 if exc.kind == "too_large" else 422, str(exc)) from exc


def _link_local(staged: Path, directory: Path, name: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    final = (directory / name).resolve()
    if final.parent != directory.resolve():  # belt and braces: names carry no path
        raise UploadRejectedError(422, "file name escapes the landing zone")
    partial = directory / f".upload-{uuid.uuid4().hex}.part"  # hidden: ingest_csv skips it
    shutil.copyfile(staged, partial)
    try:
        os.link(partial, final)  # atomic, and fails instead of replacing an existing file
    except FileExistsError as exc:
        raise UploadRejectedError(409, f"a file named {name!r} is already there") from exc
    finally:
        partial.unlink(missing_ok=True)
    return str(final)


def _put_s3(staged: Path, uri: str) -> str:
    fs = s3_filesystem()
    key = uri.removeprefix("s3://")
    if fs.exists(key):  # type: ignore[attr-defined]
        raise UploadRejectedError(409, f"{uri} already exists")
    fs.put_file(str(staged), key)  # type: ignore[attr-defined]
    return uri
