"""A merge reads only the target files its batch's keys can be in (file statistics pruning).

Proof by construction: one data file of the target is made unreadable. A merge whose keys
cannot be in that file succeeds (it never opened it); one whose keys can be fails."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable

from pitwall.lake.delta import KEY_LIST_MAX, target_key_filter, write_table


def _four_files(uri: str, *, text: bool = False) -> Path:
    """Keys 0-999, 1000-1999, ... in four files; returns the file holding 0-999, broken."""
    for n in range(4):
        ids = pl.int_range(n * 1000, (n + 1) * 1000, eager=True)
        key = ids.cast(pl.String).str.zfill(5) if text else ids
        write_table(pl.DataFrame({"id": key, "v": ids}), uri)
    first = pl.DataFrame(DeltaTable(uri).get_add_actions(flatten=True)).to_dict(as_series=False)
    low = "00000" if text else 0
    [path] = [p for p, m in zip(first["path"], first["min.id"], strict=True) if m == low]
    broken = Path(uri) / path
    broken.write_bytes(b"not parquet")
    return broken


def _merge(rows: pl.DataFrame, uri: str) -> None:
    write_table(rows, uri, mode="merge", keys=["id"], compare=["v"])


def _read_from(uri: str, low: int | str) -> pl.DataFrame:
    return pl.scan_delta(uri).filter(pl.col("id") >= low).collect().sort("id")


def test_small_batch_reads_only_its_files(tmp_path: Path) -> None:
    uri = str(tmp_path / "t")
    _four_files(uri)
    _merge(pl.DataFrame({"id": [2500, 4000, 4001], "v": [-1, 1, 2]}), uri)
    rows = _read_from(uri, 1000)
    assert rows.height == 3002
    assert rows.filter(pl.col("id").is_in([2500, 4000, 4001]))["v"].to_list() == [-1, 1, 2]


def test_batch_beyond_the_list_size_is_pruned_by_its_range(tmp_path: Path) -> None:
    uri = str(tmp_path / "t")
    _four_files(uri)
    ids = pl.int_range(3000, 3000 + KEY_LIST_MAX + 500, eager=True)
    _merge(pl.DataFrame({"id": ids, "v": -ids}), uri)
    rows = _read_from(uri, 1000)
    assert rows.height == 2000 + KEY_LIST_MAX + 500
    assert rows.filter(pl.col("id") >= 3000)["v"].sum() == -ids.sum()


def test_text_keys_are_pruned_and_quoted(tmp_path: Path) -> None:
    uri = str(tmp_path / "t")
    _four_files(uri, text=True)
    _merge(pl.DataFrame({"id": ["02500", "O'Brien"], "v": [-1, 7]}), uri)
    rows = _read_from(uri, "01000")
    assert rows.height == 3001
    assert dict(rows.filter(pl.col("v") < 0).rows()) == {"02500": -1}
    assert rows.filter(pl.col("id") == "O'Brien")["v"].to_list() == [7]


def test_a_batch_that_can_touch_the_broken_file_does_read_it(tmp_path: Path) -> None:
    uri = str(tmp_path / "t")
    _four_files(uri)
    with pytest.raises(Exception, match=r"(?i)parquet|magic|eof|corrupt"):
        _merge(pl.DataFrame({"id": [500], "v": [-1]}), uri)


def test_filter_skips_keys_it_cannot_compare_exactly() -> None:
    frame = pl.DataFrame(
        {"a": ["x\\y", "z"], "b": [1.5, 2.5], "c": ["plain", "O'Brien"], "d": [None, None]},
        schema_overrides={"d": pl.Int64},
    )
    assert target_key_filter(frame, keys=["a", "b", "c", "d"]) == [
        "t.\"c\" IN ('O''Brien', 'plain')"
    ]
