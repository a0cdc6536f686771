"""The skip / swap / upsert rule of the mirror (see :mod:`pitwall.postgres.mirror`)."""

from __future__ import annotations

from typing import Literal

from pitwall.postgres.delta_changes import FileDiff
from pitwall.postgres.row_changes import RowChange
from pitwall.postgres.state import MirrorState
from pitwall.postgres.typemap import PgColumn

Strategy = Literal["skip", "swap", "upsert"]


def choose_strategy(
    *,
    state: MirrorState | None,
    live_columns: list[PgColumn] | None,
    columns: list[PgColumn],
    keys: list[str],
    version: int,
    diff: FileDiff | None,
    total_rows: int,
    swap_fraction: float,
    rows: RowChange | None = None,
) -> tuple[Strategy, str]:
    """Skip, swap or upsert, and why (pure; the rule is told in :mod:`pitwall.postgres.mirror`).

    ``rows``, when the rows of the diff were compared, is the real change; otherwise the
    change is the rows of the added plus removed files.
    """
    forced = forced_strategy(
        state=state,
        live_columns=live_columns,
        columns=columns,
        keys=keys,
        version=version,
        diff=diff,
    )
    if forced is not None:
        return forced
    assert diff is not None
    if rows is not None:
        change = rows.changed
        bound = "" if rows.complete else "at least "
        size = f"change of {bound}{change} rows (of {rows.rewritten} rewritten)"
    else:
        added, removed = diff.added_rows, diff.removed_rows
        if added is None or removed is None:
            return "swap", "file statistics missing"
        change = added + removed
        size = f"change of {change} rows"
    if change > swap_fraction * max(total_rows, 1):
        return "swap", f"{size} > {swap_fraction:.0%} of {total_rows}"
    return "upsert", f"{size} <= {swap_fraction:.0%} of {total_rows}"


def forced_strategy(
    *,
    state: MirrorState | None,
    live_columns: list[PgColumn] | None,
    columns: list[PgColumn],
    keys: list[str],
    version: int,
    diff: FileDiff | None,
) -> tuple[Strategy, str] | None:
    """The strategy, and why, when the size of the change does not matter; else None."""
    if state is None or live_columns is None:
        return "swap", "not mirrored yet"
    if list(state.keys) != list(keys):
        return "swap", "natural key changed"
    if live_columns != columns[: len(live_columns)]:
        return "swap", "columns changed in a way ADD COLUMN cannot follow"
    if state.delta_version == version:
        if len(live_columns) == len(columns):
            return "skip", "Delta version unchanged"
        return "swap", "columns differ at the same Delta version"
    if state.delta_version > version:
        return "swap", "Delta table was recreated"
    if diff is None:
        return "swap", "exact change unknown (old version unreadable or unsupported features)"
    if not keys and diff.removed:
        return "swap", "rows removed from a table without a natural key"
    return None
