"""Which rows of a keyed Delta table really changed between two versions.

delta-rs rewrites whole files (copy-on-write): a MERGE that updates a few rows removes the
files holding them and adds copies holding every other row unchanged, so the files added and
removed say little about the size of the change. Pairing the rows of the removed files with
the rows of the added files by natural key and comparing each pair exactly, column by column,
splits them into:

- rows of added files with a key no removed file holds: new, to upsert;
- pairs whose values differ in some column: changed, to upsert;
- pairs equal in every column: rewritten copies, left alone;
- keys of removed files that no added file holds: gone, to delete.

Values compare exactly, never by hash: nulls equal nulls, NaN equals NaN, and ``-0.0``
differs from ``0.0`` (PostgreSQL keeps the sign), inside lists, arrays and structs too.

Memory: the keys of both sides with their row positions, then one column of both sides at a
time; the staged rows are read file by file, keeping only the changed ones.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl
from polars.datatypes import DataType, DataTypeClass

from pitwall.postgres.delta_changes import DataFile, FileDiff, read_file, read_files

log = logging.getLogger(__name__)

_NEW = "__pitwall_added_row"
_OLD = "__pitwall_removed_row"
_PAIRS_PER_SLICE = 100_000


@dataclass(frozen=True)
class RowChange:
    """The rows that really changed between the removed and the added files.

    Attributes:
        rewritten: rows of the added plus the removed files.
        added_heights: rows of each added file, in order.
        upserted: positions of the new or changed rows in the added files (read in order).
        deleted: keys of the removed files that no added file holds.
        complete: False when counting stopped once the change passed ``stop_above``;
            ``changed`` is then a lower bound and ``upserted`` must not be applied.
    """

    rewritten: int
    upserted: pl.Series
    added_heights: tuple[int, ...]
    deleted: pl.DataFrame
    complete: bool = True

    @property
    def changed(self) -> int:
        """Rows to upsert plus keys to delete."""
        return self.upserted.len() + self.deleted.height


def compare_rows(
    diff: FileDiff,
    *,
    uri: str,
    schema: pl.Schema,
    keys: Sequence[str],
    stop_above: int,
    storage_options: Mapping[str, str] | None = None,
) -> RowChange | None:
    """The real change behind a file diff of a keyed table.

    Args:
        diff: the files added and removed.
        uri: the Delta table.
        schema: the current Polars schema (older files are read as it).
        keys: the natural key.
        stop_above: stop comparing once more rows than this are known to have changed.
        storage_options: object_store options.

    Returns:
        The change, or None when it cannot be known this way: a file is unreadable (e.g.
        vacuumed) or a key is duplicated on either side (rows cannot be paired).
    """
    try:
        return _compare(
            diff, uri=uri, schema=schema, keys=keys, stop_above=stop_above, storage=storage_options
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        log.info("rows of %s not compared: %s", uri, exc)
        return None


def read_changed_rows(
    change: RowChange,
    *,
    files: Sequence[DataFile],
    uri: str,
    schema: pl.Schema,
    storage_options: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """The rows at ``change.upserted`` of ``files`` (the diff's added files), file by file."""
    if not change.complete:
        raise ValueError("an incomplete row change cannot be applied")
    wanted = change.upserted.sort()
    frames: list[pl.DataFrame] = []
    offset = 0
    for data_file, height in zip(files, change.added_heights, strict=True):
        first, end = (int(wanted.search_sorted(at)) for at in (offset, offset + height))
        here = wanted.slice(first, end - first)
        if here.len():
            frame = read_file(
                data_file,
                uri=uri,
                schema=schema,
                columns=schema.names(),
                storage_options=storage_options,
            )
            if frame.height != height:
                raise RuntimeError(f"{data_file.path} changed while the mirror read it")
            frames.append(frame.select(pl.all().gather(here - offset)))
        offset += height
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, how="vertical")


def same_values(left: pl.Series, right: pl.Series) -> pl.Series:
    """Row by row, whether two series of one type hold the same values.

    Nulls equal nulls and NaN equals NaN (``eq_missing``); ``-0.0`` and ``0.0`` differ, at
    any depth of lists, arrays and structs.
    """
    frame = pl.DataFrame({"left": left, "right": right})
    same = pl.col("left").eq_missing(pl.col("right"))
    left_signs = _zero_signs(pl.col("left"), left.dtype)
    right_signs = _zero_signs(pl.col("right"), right.dtype)
    if left_signs is not None and right_signs is not None:
        same = same & left_signs.eq_missing(right_signs)
    return frame.select(same.fill_null(False).alias("same")).to_series()


def _compare(
    diff: FileDiff,
    *,
    uri: str,
    schema: pl.Schema,
    keys: Sequence[str],
    stop_above: int,
    storage: Mapping[str, str] | None,
) -> RowChange | None:
    """:func:`compare_rows`, raising when a file cannot be read."""
    added, heights = _read_keys(
        diff.added, uri=uri, schema=schema, keys=keys, name=_NEW, storage=storage
    )
    removed, _ = _read_keys(
        diff.removed, uri=uri, schema=schema, keys=keys, name=_OLD, storage=storage
    )
    try:
        pairs = added.join(removed, on=list(keys), how="inner", validate="1:1").select(_NEW, _OLD)
    except pl.exceptions.ComputeError:
        log.info("a key is duplicated in the changed files of %s: rows not compared", uri)
        return None
    rewritten = added.height + removed.height
    new = added.get_column(_NEW).filter(~_paired(pairs.get_column(_NEW), rows=added.height))
    deleted = removed.filter(~_paired(pairs.get_column(_OLD), rows=removed.height)).select(keys)
    if new.len() + deleted.height > stop_above:
        return RowChange(rewritten, new, heights, deleted, complete=False)
    differing, complete = _differing_pairs(
        pairs,
        diff=diff,
        uri=uri,
        schema=schema,
        columns=[name for name in schema.names() if name not in keys],
        budget=stop_above - new.len() - deleted.height,
        storage=storage,
    )
    return RowChange(rewritten, pl.concat([new, differing]), heights, deleted, complete=complete)


def _zero_signs(expr: pl.Expr, dtype: DataType | DataTypeClass) -> pl.Expr | None:
    """``1 / x`` for every float in ``expr`` (±inf tells the zeros apart); None: no float.

    Combined with ``eq_missing``, which already makes the values equal, the reciprocals
    differ only for zeros of different signs.
    """
    if dtype.is_float():
        return pl.lit(1, dtype=dtype) / expr
    if isinstance(dtype, pl.List):
        inner = _zero_signs(pl.element(), dtype.inner)
        return None if inner is None else expr.list.eval(inner)
    if isinstance(dtype, pl.Array):
        inner = _zero_signs(pl.element(), dtype.inner)
        return None if inner is None else expr.arr.to_list().list.eval(inner)
    if isinstance(dtype, pl.Struct):
        fields = [
            (field.name, _zero_signs(expr.struct.field(field.name), field.dtype))
            for field in dtype.fields
        ]
        signs = [found.alias(name) for name, found in fields if found is not None]
        return pl.struct(signs) if signs else None
    return None


def _read_keys(
    files: Sequence[DataFile],
    *,
    uri: str,
    schema: pl.Schema,
    keys: Sequence[str],
    name: str,
    storage: Mapping[str, str] | None,
) -> tuple[pl.DataFrame, tuple[int, ...]]:
    """The keys of ``files`` with each row's position ``name`` (files in order), and heights."""
    frames = [
        read_file(data_file, uri=uri, schema=schema, columns=keys, storage_options=storage)
        for data_file in files
    ]
    heights = tuple(frame.height for frame in frames)
    if not frames:
        frames = [pl.DataFrame(schema={key: schema[key] for key in keys})]
    return pl.concat(frames, how="vertical").with_row_index(name), heights


def _paired(positions: pl.Series, *, rows: int) -> pl.Series:
    """A mask of ``rows`` rows, true at ``positions``."""
    return pl.repeat(False, rows, dtype=pl.Boolean, eager=True).scatter(positions, True)


def _differing_pairs(
    pairs: pl.DataFrame,
    *,
    diff: FileDiff,
    uri: str,
    schema: pl.Schema,
    columns: Sequence[str],
    budget: int,
    storage: Mapping[str, str] | None,
) -> tuple[pl.Series, bool]:
    """Added positions of the pairs that differ in some column, one column at a time.

    Returns:
        The positions, and False when comparing stopped early, once more than ``budget``
        pairs differed (the positions are then only some of them).
    """
    differing = [pairs.get_column(_NEW).clear()]
    found = 0
    for name in columns:
        if pairs.is_empty():
            break
        new = _read_column(diff.added, uri=uri, schema=schema, name=name, storage=storage)
        old = _read_column(diff.removed, uri=uri, schema=schema, name=name, storage=storage)
        same = _same_pairs(pairs, new=new, old=old)
        differing.append(pairs.get_column(_NEW).filter(~same))
        found += differing[-1].len()
        pairs = pairs.filter(same)
        if found > budget:
            return pl.concat(differing), False
    return pl.concat(differing), True


def _same_pairs(pairs: pl.DataFrame, *, new: pl.Series, old: pl.Series) -> pl.Series:
    """Whether ``new`` and ``old`` agree at each pair, a slice of pairs at a time."""
    parts = [
        same_values(new.gather(part.get_column(_NEW)), old.gather(part.get_column(_OLD)))
        for part in pairs.iter_slices(_PAIRS_PER_SLICE)
    ]
    return pl.concat(parts) if parts else pl.Series("same", [], dtype=pl.Boolean)


def _read_column(
    files: Sequence[DataFile],
    *,
    uri: str,
    schema: pl.Schema,
    name: str,
    storage: Mapping[str, str] | None,
) -> pl.Series:
    return read_files(
        uri, files, schema=schema, columns=[name], storage_options=storage
    ).to_series()
