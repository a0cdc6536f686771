"""The scraper's landing zone: ``<landing_dir>/<site>/<crawl_id>.jsonl`` feed files, read as
envelope lines (one row per line; the record itself stays JSON text for RAW). The landing
zone is a local folder or an ``s3://`` prefix; a feed's marker (``<site>/<file name>``) is the
same in both, so its batch id is too.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

import orjson
import polars as pl

from pitwall.lake.ingest import make_batch_id
from pitwall.lake.layout import is_remote_uri, object_store_fs

FEED_LINE_SCHEMA: dict[str, pl.DataType] = {
    "_batch_id": pl.String(),
    "_source": pl.String(),
    "_source_row": pl.Int64(),
    "site": pl.String(),
    "kind": pl.String(),
    "url": pl.String(),
    "reason": pl.String(),
    "payload": pl.String(),
}
"""``kind`` is ``record`` (payload = typed data), ``rejected`` (payload = the whole line, with
reason and extracted text) or ``malformed`` (payload = the raw line)."""


@dataclass(frozen=True, slots=True)
class FeedFile:
    """One crawl's feed at ``location`` (a local path, or an ``s3://`` URI). ``marker``
    (``<site>/<file name>``) is its source in RAW; its batch id is derived from it."""

    site: str
    location: Path | str

    @property
    def name(self) -> str:
        return PurePosixPath(str(self.location)).name

    @property
    def marker(self) -> str:
        return f"{self.site}/{self.name}"

    @property
    def batch_id(self) -> str:
        return make_batch_id("scraper", fingerprint=self.marker)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The feed's bytes; an object is fetched whole (an object store that cannot be
        reached fails the run, never the feed)."""
        location = str(self.location)
        if not is_remote_uri(location):
            with Path(location).open("rb") as handle:
                yield handle
            return
        fs, path = object_store_fs(location)
        yield io.BytesIO(bytes(fs.cat_file(path)))


def list_feed_files(landing_dir: Path | str, sites: Iterable[str]) -> list[FeedFile]:
    """Published feeds of the sites, oldest first (in-progress ``.*.part`` files are hidden)."""
    if isinstance(landing_dir, str) and is_remote_uri(landing_dir):
        return _list_remote(landing_dir, sites)
    found: list[FeedFile] = []
    for site in sites:
        folder = Path(landing_dir) / site
        if folder.is_dir():
            found += [FeedFile(site, p) for p in folder.glob("[!.]*.jsonl") if p.is_file()]
    return sorted(found, key=lambda f: (f.name, f.site))


def published_feed(landing_dir: Path | str, site: str, name: str) -> Path | str | None:
    """Where a feed was published, or None (the crawl scraped no item, or was killed)."""
    if isinstance(landing_dir, str) and is_remote_uri(landing_dir):
        fs, prefix = object_store_fs(landing_dir)
        key = f"{prefix}/{site}/{name}"
        return f"{landing_dir.split('://', 1)[0]}://{key}" if fs.exists(key) else None
    path = Path(landing_dir) / site / name
    return path if path.is_file() else None


def _list_remote(landing_dir: str, sites: Iterable[str]) -> list[FeedFile]:
    fs, prefix = object_store_fs(landing_dir)
    scheme = landing_dir.split("://", 1)[0]
    found: list[FeedFile] = []
    for site in sites:
        try:
            keys = fs.ls(f"{prefix}/{site}", detail=False)
        except FileNotFoundError:
            continue
        for key in keys:
            name = PurePosixPath(str(key)).name
            if name.endswith(".jsonl") and not name.startswith("."):
                found.append(FeedFile(site, f"{scheme}://{key}"))
    return sorted(found, key=lambda f: (f.name, f.site))


def read_feed_lines(files: Sequence[FeedFile]) -> pl.DataFrame:
    """Every line of the files as :data:`FEED_LINE_SCHEMA` rows (blank lines skipped)."""
    columns: dict[str, list[object]] = {name: [] for name in FEED_LINE_SCHEMA}
    for feed in files:
        with feed.open() as handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                row = _parse_line(raw, feed=feed)
                row.update(_batch_id=feed.batch_id, _source=feed.marker, _source_row=number)
                for name in FEED_LINE_SCHEMA:
                    columns[name].append(row.get(name))
    return pl.DataFrame(columns, schema=FEED_LINE_SCHEMA)


def _parse_line(raw: bytes, *, feed: FeedFile) -> dict[str, object]:
    text = raw.decode("utf-8", errors="backslashreplace").rstrip("\r\n")
    try:
        line = orjson.loads(raw)
        kind = line["kind"]
        site, url = line["site"], line["url"]
        if site != feed.site:
            raise ValueError(f"site {site!r} in the feed of {feed.site!r}")
        if kind == "record":
            return {"site": site, "kind": kind, "url": url, "payload": _json(line["data"])}
        if kind == "rejected":
            return {
                "site": site,
                "kind": kind,
                "url": url,
                "reason": line["reason"],
                "payload": text,
            }
        raise ValueError(f"unknown kind {kind!r}")
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        reason = f"malformed feed line: {type(exc).__name__}: {exc}"
        return {"site": feed.site, "kind": "malformed", "reason": reason, "payload": text}


def _json(value: object) -> str:
    if not isinstance(value, dict):
        raise TypeError("record data is not an object")
    return orjson.dumps(value).decode()
