"""Nodes of ingest_assetto: pure functions (IO is in the datasets)."""

from __future__ import annotations

from typing import Any

from pitwall.assetto.clean import CleanParams, build_clean
from pitwall.assetto.lake import CleanBatch, PendingCaptures, RawBatch
from pitwall.assetto.land import land_files
from pitwall.assetto.landing import LandingFile
from pitwall.lake.ingest import utc_now


def land_capture_files(files: list[LandingFile]) -> RawBatch:
    """New capture files -> RAW rows with ingestion metadata, quarantine rows, log rows."""
    return land_files(files, ingested_at=utc_now())


def build_clean_tables(pending: PendingCaptures, params: dict[str, Any]) -> CleanBatch:
    """RAW rows of the pending captures -> CLEAN tables and CLEAN-stage quarantine."""
    if not pending.markers:
        return CleanBatch()
    tables, quarantine = build_clean(pending.frames, CleanParams(**params))
    return CleanBatch(markers=pending.markers, tables=tables, quarantine=quarantine)
