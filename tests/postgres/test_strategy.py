"""The swap-or-upsert rule, on its own."""

from __future__ import annotations

import polars as pl
import pytest

from pitwall.postgres.delta_changes import DataFile, FileDiff
from pitwall.postgres.row_changes import RowChange
from pitwall.postgres.state import MirrorState
from pitwall.postgres.strategy import Strategy, choose_strategy
from pitwall.postgres.typemap import PgColumn

COLUMNS = [PgColumn("id", "bigint"), PgColumn("name", "text")]


def _state(version: int = 3, keys: list[str] | None = None) -> MirrorState:
    return MirrorState("clean", "t", version, 1000, None, "swap", ["id"] if keys is None else keys)


def _diff(added: int | None, removed: int | None = 0) -> FileDiff:
    files = lambda rows: () if rows == 0 else (DataFile("f", rows, {}),)  # noqa: E731
    return FileDiff(added=files(added), removed=files(removed))


@pytest.mark.parametrize(
    ("state", "live", "columns", "diff", "expected"),
    [
        (None, None, COLUMNS, None, "swap"),
        (_state(), COLUMNS, COLUMNS, None, "swap"),  # version 3 -> 4, change unknown
        (_state(4), COLUMNS, COLUMNS, None, "skip"),
        (_state(5), COLUMNS, COLUMNS, None, "swap"),  # Delta table recreated
        (_state(keys=[]), COLUMNS, COLUMNS, _diff(1), "swap"),  # key added in conf
        (_state(), [PgColumn("id", "integer")], COLUMNS, _diff(1), "swap"),  # type changed
        (_state(), COLUMNS[:1], COLUMNS, _diff(10), "upsert"),  # new column, small change
        (_state(), COLUMNS, COLUMNS, _diff(150, 50), "upsert"),  # 200 rows = 20% of 1000
        (_state(), COLUMNS, COLUMNS, _diff(150, 51), "swap"),  # 201 rows > 20%
        (_state(), COLUMNS, COLUMNS, _diff(None), "swap"),  # no statistics
    ],
)
def test_rule(
    state: MirrorState | None,
    live: list[PgColumn] | None,
    columns: list[PgColumn],
    diff: FileDiff | None,
    expected: Strategy,
) -> None:
    strategy, reason = choose_strategy(
        state=state,
        live_columns=live,
        columns=columns,
        keys=["id"],
        version=4,
        diff=diff,
        total_rows=1000,
        swap_fraction=0.2,
    )
    assert strategy == expected, reason


def test_table_without_key_swaps_when_rows_are_removed() -> None:
    strategy, reason = choose_strategy(
        state=_state(keys=[]),
        live_columns=COLUMNS,
        columns=COLUMNS,
        keys=[],
        version=4,
        diff=_diff(1, 1),
        total_rows=1000,
        swap_fraction=0.2,
    )
    assert (strategy, reason) == ("swap", "rows removed from a table without a natural key")


def _rows(upserted: int, deleted: int = 0, *, complete: bool = True) -> RowChange:
    return RowChange(
        rewritten=2000,
        upserted=pl.Series(range(upserted), dtype=pl.UInt32),
        added_heights=(1000,),
        deleted=pl.DataFrame({"id": range(deleted)}),
        complete=complete,
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (_rows(150, 50), ("upsert", "change of 200 rows (of 2000 rewritten) <= 20% of 1000")),
        (_rows(150, 51), ("swap", "change of 201 rows (of 2000 rewritten) > 20% of 1000")),
        (_rows(0), ("upsert", "change of 0 rows (of 2000 rewritten) <= 20% of 1000")),
        (
            _rows(201, complete=False),
            ("swap", "change of at least 201 rows (of 2000 rewritten) > 20% of 1000"),
        ),
        (None, ("swap", "change of 2000 rows > 20% of 1000")),  # rows not compared: files
    ],
)
def test_compared_rows_are_the_change(rows: RowChange | None, expected: tuple[str, str]) -> None:
    decided = choose_strategy(
        state=_state(),
        live_columns=COLUMNS,
        columns=COLUMNS,
        keys=["id"],
        version=4,
        diff=_diff(1000, 1000),
        rows=rows,
        total_rows=1000,
        swap_fraction=0.2,
    )
    assert decided == expected
