"""Pure node of lake maintenance: the plan; ``lake_maintenance`` (the dataset) does the IO."""

from __future__ import annotations

from typing import Any

import polars as pl

from pitwall.lake.maintenance import MaintenancePolicy, plan_maintenance


def plan_lake_maintenance(params: dict[str, Any], status: pl.DataFrame) -> dict[str, Any]:
    """Which tables to maintain and how, from ``params:maintain_lake`` and the lake status.

    Args:
        params: the ``maintain_lake`` parameters (validated as a ``MaintenancePolicy``).
        status: one row per lake table (``lake_status``).

    Returns:
        ``{"policy": ..., "tables": [{layer, table, compact, zorder}, ...]}``.
    """
    policy = MaintenancePolicy.model_validate(params)
    plan = plan_maintenance(status, policy=policy)
    return {"policy": policy.model_dump(), "tables": plan.to_dicts()}
