"""Altair chart builders of the dashboards (pure: frames in, charts out)."""

from pitwall.dashboards.charts.health import (
    ingestion_chart,
    quarantine_reasons_chart,
    table_rows_chart,
)
from pitwall.dashboards.charts.quick import QuickPlan, plan_quick_chart, quick_chart
from pitwall.dashboards.charts.race import gaps_chart, lap_times_chart, positions_chart
from pitwall.dashboards.charts.telemetry import (
    CURSOR,
    HOVER,
    ZOOM,
    gg_chart,
    histograms_chart,
    overview_chart,
    sectors_chart,
    stack_chart,
)
from pitwall.dashboards.charts.track import (
    collisions_map_chart,
    sector_lines_chart,
    speed_map_chart,
)

__all__ = [
    "CURSOR",
    "HOVER",
    "ZOOM",
    "QuickPlan",
    "collisions_map_chart",
    "gaps_chart",
    "gg_chart",
    "histograms_chart",
    "ingestion_chart",
    "lap_times_chart",
    "overview_chart",
    "plan_quick_chart",
    "positions_chart",
    "quarantine_reasons_chart",
    "quick_chart",
    "sector_lines_chart",
    "sectors_chart",
    "speed_map_chart",
    "stack_chart",
    "table_rows_chart",
]
