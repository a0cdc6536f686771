"""Time travel: a table as of a version number or a point in time, or a clear error.

A version stays readable while its log entry is kept (``delta.logRetentionDuration``) and
its data files are (``delta.deletedFileRetentionDuration``, VACUUM). Past either, loading it
raises :class:`VersionUnavailableError` with ``gone=True``; a version that never existed
raises it with ``gone=False``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from pitwall.lake.layout import Lake, fsspec_options, is_remote_uri

AsOf = int | datetime
_VERSION = re.compile(r"^\d{1,18}$")


class VersionUnavailableError(LookupError):
    """The version asked for cannot be read: vacuumed away (``gone``) or never there."""

    def __init__(self, message: str, *, gone: bool) -> None:
        super().__init__(message)
        self.gone = gone


def parse_as_of(text: str) -> AsOf:
    """A version number (``12``) or an ISO 8601 timestamp (naive means UTC).

    Raises:
        ValueError: neither.
    """
    text = text.strip()
    if _VERSION.match(text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"as of {text!r}: expected a version number or an ISO 8601 timestamp"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def describe_as_of(as_of: AsOf) -> str:
    return f"version {as_of}" if isinstance(as_of, int) else as_of.isoformat()


def open_table_as_of(
    uri: str, as_of: AsOf, *, name: str, storage_options: Mapping[str, str] | None = None
) -> DeltaTable:
    """The table ``uri`` (called ``name`` in messages) loaded at ``as_of``, all files present.

    Raises:
        VersionUnavailableError: no such version, or not any more.
    """
    options = dict(storage_options or {})
    table = DeltaTable(uri, storage_options=options)
    latest = table.version()
    if isinstance(as_of, int) and as_of > latest:
        raise VersionUnavailableError(
            f"{name} has no version {as_of} (latest: {latest})", gone=False
        )
    if isinstance(as_of, int):
        try:
            table.load_as_version(as_of)
        except DeltaError as exc:
            # a failed load leaves the handle unusable: the history from a fresh one
            latest_table = DeltaTable(uri, storage_options=options)
            raise _gone(name, as_of, _oldest_commit(latest_table)) from exc
    else:
        _load_as_of_time(table, as_of, name=name)
    missing = _first_missing_file(table, lake=Lake(uri, options))
    if missing is not None:
        raise _gone(name, as_of, None, vacuumed=True)
    return table


def _load_as_of_time(table: DeltaTable, as_of: datetime, *, name: str) -> None:
    """Load the last version committed at or before ``as_of`` (history is read only here:
    it costs one log read per kept commit)."""
    oldest = _oldest_commit(table)
    created = oldest[1] if oldest is not None and oldest[0] == 0 else None
    if created is not None and as_of < created:
        raise VersionUnavailableError(
            f"{name} did not exist at {as_of.isoformat()} (created {created.isoformat()})",
            gone=False,
        )
    try:
        table.load_as_version(as_of)
    except DeltaError as exc:
        raise _gone(name, as_of, oldest) from exc
    if oldest is not None and as_of < oldest[1]:
        raise _gone(name, as_of, oldest)  # loaded the oldest kept version: not the one asked


def _gone(
    name: str, as_of: AsOf, oldest: tuple[int, datetime] | None, *, vacuumed: bool = False
) -> VersionUnavailableError:
    why = "its data files were vacuumed" if vacuumed else "its log entry was cleaned up"
    kept = f" (oldest kept: version {oldest[0]})" if oldest and not vacuumed else ""
    return VersionUnavailableError(
        f"{name} as of {describe_as_of(as_of)} is no longer available: {why}{kept}", gone=True
    )


def _oldest_commit(table: DeltaTable) -> tuple[int, datetime] | None:
    """Version and time of the oldest commit whose log entry is kept."""
    history = table.history()
    if not history:
        return None
    oldest = min(history, key=lambda h: h["version"])
    return int(oldest["version"]), datetime.fromtimestamp(oldest["timestamp"] / 1000, UTC)


def _first_missing_file(table: DeltaTable, *, lake: Lake) -> str | None:
    uris = table.file_uris()
    if not uris:
        return None
    if any(is_remote_uri(u) for u in uris):
        import fsspec

        fs, _ = fsspec.core.url_to_fs(uris[0], **fsspec_options(lake))
        return next((u for u in uris if not fs.exists(u)), None)
    return next((u for u in uris if not Path(u.removeprefix("file://")).exists()), None)
