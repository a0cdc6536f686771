"""Exactly-once state, kept where the Delta protocol keeps it: application transactions
(``txn`` actions) and the ``_batch_id`` / ``_batch_seq`` columns of the rows themselves.

Both survive checkpoints, log cleanup, VACUUM and OPTIMIZE (commit metadata does not: a
checkpoint drops ``commitInfo``).

* A RAW table is written by one stream (a CSV feed, a REST endpoint, a site, an Assetto Corsa
  dataset kind). Every RAW commit carries the txn ``(RAW_APP_ID, n)`` where ``n`` is one more
  than the table's previous version of it, and its rows carry ``_batch_seq = n``. Two writers
  committing at the same ``n`` conflict (delta-rs rejects the second commit of a txn app id
  that changed since its snapshot), so the RAW commits of a stream are serialised and every
  batch has its own sequence number.
* A batch has landed when the RAW table holds rows with its ``_batch_id`` (checked on the very
  snapshot the commit is based on, so a concurrent run that lands it first makes ours conflict,
  and the retry then sees it and skips).
* A CLEAN table records, per RAW table it is built from, the txn ``(clean_app_id(raw), s)``:
  every RAW batch with ``_batch_seq <= s`` is merged, committed atomically with the rows.
* After each CLEAN merge the RAW table records ``(MERGED_APP_ID, s)`` too, in an empty commit.
  That is what the next run reads to find the RAW rows still to merge (``_batch_seq > s``), and
  it also covers a merge that changed nothing (which commits nothing to CLEAN: no new version,
  nothing for the mirror to do). Should a run die between the two commits, the next one finds
  the batches again, sees from CLEAN's txn that they are merged, and only records them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import polars as pl
import pyarrow as pa
from deltalake import DeltaTable, Transaction

from pitwall.lake.delta import open_table, scan_table
from pitwall.lake.layout import Lake

RAW_APP_ID = "pitwall.raw"
MERGED_APP_ID = "pitwall.merged"
BATCH_ID = "_batch_id"
BATCH_SEQ = "_batch_seq"


def clean_app_id(raw_table: str) -> str:
    """The txn app id a CLEAN table uses for what it merged from ``raw.<raw_table>``."""
    return f"pitwall.from.raw.{raw_table}"


def txn_version(table: DeltaTable | None, app_id: str) -> int:
    """The table's version of ``app_id`` (0 when the table or the txn does not exist)."""
    if table is None:
        return 0
    return table.transaction_version(app_id) or 0


def raw_merged_seq(table: DeltaTable | None) -> int:
    """The highest ``_batch_seq`` of a RAW table merged into CLEAN (0: none yet)."""
    return txn_version(table, MERGED_APP_ID)


def raw_seq(table: DeltaTable | None) -> int:
    """The ``_batch_seq`` of the last batch committed to a RAW table (0: none yet)."""
    return txn_version(table, RAW_APP_ID)


def read_merged_seqs(
    clean_table: str,
    raw_tables: Collection[str],
    *,
    lake: Lake,
    snapshot: DeltaTable | None = None,
) -> dict[str, int]:
    """The highest ``_batch_seq`` of each RAW table merged into ``clean.<clean_table>``.

    ``snapshot``: the loaded CLEAN table to read (default: its latest version).
    """
    options = lake.storage_options
    clean = snapshot or open_table(lake.table_uri("clean", clean_table), storage_options=options)
    merged = {}
    for raw in raw_tables:
        raw_dt = open_table(lake.table_uri("raw", raw), storage_options=options)
        merged[raw] = max(
            txn_version(clean, clean_app_id(raw)),
            raw_merged_seq(raw_dt),
        )
    return merged


def raw_transaction(seq: int) -> Transaction:
    return Transaction(RAW_APP_ID, seq)


def clean_transactions(merged: Mapping[str, int]) -> list[Transaction]:
    """The txns a CLEAN commit carries: ``{raw table: highest _batch_seq merged}``."""
    return [Transaction(clean_app_id(raw), seq) for raw, seq in sorted(merged.items())]


def read_batch_ids(
    table: DeltaTable | None,
    *,
    storage_options: Mapping[str, str] | None = None,
    candidates: Collection[str] | None = None,
) -> set[str]:
    """The ``_batch_id`` values a table holds (restricted to ``candidates`` when given).

    Files whose statistics give one batch (min = max, the usual case: one commit, one batch)
    are answered from the Delta log; only files holding several batches (after OPTIMIZE, say)
    that may hold a candidate have their ``_batch_id`` column read.
    """
    if table is None:
        return set()
    files = pl.from_arrow(pa.table(table.get_add_actions(flatten=True)))
    assert isinstance(files, pl.DataFrame)
    low, high = f"min.{BATCH_ID}", f"max.{BATCH_ID}"
    if files.is_empty():
        return set()
    if low not in files.columns or high not in files.columns:
        return _scan_batch_ids(table, storage_options, candidates)
    single = files.filter(pl.col(low).is_not_null() & (pl.col(low) == pl.col(high)))
    found = set(single.get_column(low).to_list())
    if candidates is not None:
        found &= set(candidates)
        candidates = set(candidates) - found
        if not candidates:
            return found
    if single.height == files.height:
        return found
    return found | _scan_batch_ids(table, storage_options, candidates)


def _scan_batch_ids(
    table: DeltaTable,
    storage_options: Mapping[str, str] | None,
    candidates: Collection[str] | None,
) -> set[str]:
    scan = scan_table(
        table.table_uri, storage_options=storage_options, version=table.version()
    ).select(pl.col(BATCH_ID).cast(pl.String))
    if candidates is not None:
        scan = scan.filter(pl.col(BATCH_ID).is_in(sorted(candidates)))
    return set(scan.unique().collect().get_column(BATCH_ID).drop_nulls().to_list())


def holds_batch(
    table: DeltaTable | None, batch_id: str, *, storage_options: Mapping[str, str] | None = None
) -> bool:
    """Whether the table (at the snapshot ``table`` was loaded at) holds rows of the batch."""
    return bool(read_batch_ids(table, storage_options=storage_options, candidates=[batch_id]))


@dataclass(frozen=True)
class Unmerged:
    """RAW rows not merged into CLEAN yet: their ``_batch_seq`` is in ``(after, top]``.

    ``scan`` is the whole RAW table at the same version (CLEAN built per capture reads the
    captures' earlier rows too).
    """

    table: str
    rows: pl.LazyFrame
    after: int
    top: int
    scan: pl.LazyFrame

    @property
    def is_empty(self) -> bool:
        return self.top <= self.after


def scan_unmerged(
    raw_uri: str,
    *,
    after_seq: int | None = None,
    storage_options: Mapping[str, str] | None = None,
) -> Unmerged | None:
    """RAW rows not merged into CLEAN yet (None: no RAW table; see ``Unmerged.is_empty``).

    ``after`` defaults to the table's merged mark. The RAW snapshot is pinned: the rows, the
    mark and ``top`` come from one table version.
    """
    table = open_table(raw_uri, storage_options=storage_options)
    if table is None:
        return None
    top = raw_seq(table)
    if after_seq is None:
        after_seq = raw_merged_seq(table)
    scan = scan_table(raw_uri, storage_options=storage_options, version=table.version())
    name = raw_uri.rstrip("/").rsplit("/", 1)[-1]
    return Unmerged(name, scan.filter(pl.col(BATCH_SEQ) > after_seq), after_seq, top, scan)
