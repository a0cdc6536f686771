"""Nodes of ingest_assetto: pure functions of capture files and polars frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pitwall.assetto.clean import CleanParams
from pitwall.assetto.land import LANDED_KINDS, capture_batch, split_captures
from pitwall.assetto.landing import CaptureFile
from pitwall.lake.commit import CleanChunk, LandedBatch, QuarantineRows
from pitwall.lake.txn import Unmerged


def land_capture_files(files: Iterable[CaptureFile]) -> Iterator[LandedBatch]:
    """Each new capture file of a kind as one RAW batch: its rows as the daemon wrote them."""
    for file in files:
        yield capture_batch(file)


def build_clean_tables(
    params: dict[str, Any], *pending: Unmerged | None
) -> tuple[QuarantineRows | CleanChunk, ...]:
    """The captures with RAW batches not merged yet, rebuilt: quarantine rows, then one
    replacing chunk per CLEAN table (``ac_sessions`` last: it closes the merge).

    Args:
        params: ``ingest_assetto`` parameters.
        *pending: the RAW tables' unmerged rows, in the order of ``LANDED_KINDS``.
    """
    quarantine, chunks = split_captures(
        dict(zip(LANDED_KINDS, pending, strict=True)), CleanParams(**params)
    )
    return (quarantine, *chunks)
