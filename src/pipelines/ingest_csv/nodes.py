"""Nodes of ingest_csv: pure functions of batch plans and polars frames."""

from __future__ import annotations

from typing import Any

import polars as pl

from pitwall.csvfeeds.feeds import parse_feeds
from pitwall.csvfeeds.landing import CsvBatchPlan, UnmergedRaw
from pitwall.csvfeeds.typing import type_feed_rows
from pitwall.datasets.csv_feed_datasets import CleanBatch


def plan_raw_batches(pending: list[CsvBatchPlan]) -> list[CsvBatchPlan]:
    """One batch per distinct content: a file copied twice into the landing zone lands once."""
    seen: set[str] = set()
    plans = []
    for plan in sorted(pending, key=lambda p: (p.feed, p.file.uri)):
        if plan.batch_id not in seen:
            seen.add(plan.batch_id)
            plans.append(plan)
    return plans


def type_raw_rows(
    raw: dict[str, UnmergedRaw], feeds: dict[str, dict[str, Any]]
) -> dict[str, list[CleanBatch]]:
    """Type and trim each unmerged RAW batch (lazily), one batch at a time in landing order."""
    declared = parse_feeds(feeds)
    return {
        name: [
            CleanBatch(
                type_feed_rows(
                    unmerged.rows.filter(pl.col("_batch_id") == batch), feed=declared[name]
                ),
                batch,
            )
            for batch in unmerged.batches
        ]
        for name, unmerged in raw.items()
    }
