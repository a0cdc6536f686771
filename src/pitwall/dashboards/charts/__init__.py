"""Altair chart builders of the dashboards (pure: frames in, charts out)."""

from pitwall.dashboards.charts.health import (
    ingestion_chart,
    quarantine_reasons_chart,
    table_rows_chart,
)
from pitwall.dashboards.charts.quick import QuickPlan, plan_quick_chart, quick_chart
from pitwall.dashboards.charts.race import gaps_chart, lap_times_chart, positions_chart
from pitwall.dashboards.charts.telemetry import channels_chart, delta_chart, sectors_chart
from pitwall.dashboards.charts.track import collisions_map_chart, speed_map_chart

__all__ = [
    "QuickPlan",
    "channels_chart",
    "collisions_map_chart",
    "delta_chart",
    "gaps_chart",
    "ingestion_chart",
    "lap_times_chart",
    "plan_quick_chart",
    "positions_chart",
    "quarantine_reasons_chart",
    "quick_chart",
    "sectors_chart",
    "speed_map_chart",
    "table_rows_chart",
]
