"""Finding a feed's files (local glob or S3) and fingerprinting them."""

from __future__ import annotations

import glob
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pitwall.csvfeeds.digests import open_digest_store
from pitwall.csvfeeds.feeds import CsvFeed

_CHUNK = 1 << 20
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandingFile:
    """One file found at a feed's location."""

    feed: str
    uri: str
    size: int
    fingerprint: str


def list_feed_files(feed: CsvFeed) -> list[LandingFile]:
    """The files matching the feed's location glob, sorted by URI."""
    if feed.is_remote:
        return _list_s3(feed)
    pattern = feed.local_pattern()
    found = []
    with open_digest_store() as digests:
        for path in sorted(glob.glob(pattern, recursive=True)):
            p = Path(path)
            if not p.is_file() or p.name.startswith("."):
                continue
            try:
                digest = digests.read(p)
                found.append(LandingFile(feed.name, str(p.resolve()), p.stat().st_size, digest))
            except FileNotFoundError as exc:  # moved away meanwhile: the others still land
                log.warning("csv %s: %s skipped this run: %s", feed.name, p, exc)
            except OSError as exc:  # there but unreadable: logged as rejected, once per version
                if (unreadable := _unreadable(feed, p)) is None:
                    log.warning("csv %s: %s skipped this run: %s", feed.name, p, exc)
                else:
                    found.append(unreadable)
    return found


def _unreadable(feed: CsvFeed, path: Path) -> LandingFile | None:
    """A file that can be listed but not read, fingerprinted by its version (size, mtime,
    inode): landing rejects it with the reason, and once it is readable its content is a new
    batch. None when it cannot even be stat'ed."""
    try:
        stat = path.stat()
    except OSError:
        return None
    version = f"unreadable:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"
    return LandingFile(feed.name, str(path.resolve()), stat.st_size, version)


def os_reason(exc: OSError) -> str:
    """An OS error's reason without the file name (server paths stay on the server)."""
    return (exc.strerror or type(exc).__name__) if exc.filename else str(exc)


def s3_filesystem() -> object:
    import s3fs

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    return s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint} if endpoint else None)


def _list_s3(feed: CsvFeed) -> list[LandingFile]:
    fs = s3_filesystem()
    fs.invalidate_cache()  # type: ignore[attr-defined]
    files = []
    for key in sorted(fs.glob(feed.location.removeprefix("s3://"))):  # type: ignore[attr-defined]
        info = fs.info(key)  # type: ignore[attr-defined]
        if info.get("type") != "file":
            continue
        etag = str(info.get("ETag", "")).strip('"')
        fingerprint = f"s3etag:{etag}:{info.get('size', 0)}"
        files.append(LandingFile(feed.name, f"s3://{key}", int(info.get("size", 0)), fingerprint))
    return files


@contextmanager
def local_copy(file: LandingFile) -> Iterator[Path]:
    """A local path for the file: itself, or a temporary download of an S3 object
    (DuckDB's httpfs extension cannot be downloaded here)."""
    if not file.uri.startswith("s3://"):
        yield Path(file.uri)
        return
    suffix = "".join(Path(file.uri).suffixes[-2:])
    tmpdir = tempfile.mkdtemp(prefix="pitwall-s3-")
    target = Path(tmpdir) / f"object{suffix}"
    try:
        fs = s3_filesystem()
        with fs.open(file.uri.removeprefix("s3://"), "rb") as src, target.open("wb") as dst:  # type: ignore[attr-defined]
            shutil.copyfileobj(src, dst, _CHUNK)
        yield target
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
