"""What the marimo apps in ``notebooks/`` show: dashboard queries (over ``pitwall.queries``),
chart builders and the server of the apps and of the kedro-viz lineage."""

from pitwall.dashboards.availability import missing_tables, no_data_message
from pitwall.dashboards.explorer import default_query, example_queries
from pitwall.dashboards.formatting import format_age, format_lap_time, session_label
from pitwall.dashboards.health import (
    MirrorStatus,
    list_quarantine_tables,
    read_mirror_status,
    read_quarantine_page,
    read_source_summary,
    read_table_health,
)
from pitwall.dashboards.laps import (
    CHANNELS,
    distance_window,
    lap_delta,
    read_lap_progress,
    read_lap_traces,
    read_telemetry_sessions,
    read_traced_laps,
    sector_times,
    theoretical_best,
    track_length,
    with_lap_distance,
)
from pitwall.dashboards.race import read_collisions, read_lap_positions, read_track_outline

__all__ = [
    "CHANNELS",
    "MirrorStatus",
    "default_query",
    "distance_window",
    "example_queries",
    "format_age",
    "format_lap_time",
    "lap_delta",
    "list_quarantine_tables",
    "missing_tables",
    "no_data_message",
    "read_collisions",
    "read_lap_positions",
    "read_lap_progress",
    "read_lap_traces",
    "read_mirror_status",
    "read_quarantine_page",
    "read_source_summary",
    "read_table_health",
    "read_telemetry_sessions",
    "read_traced_laps",
    "read_track_outline",
    "sector_times",
    "session_label",
    "theoretical_best",
    "track_length",
    "with_lap_distance",
]
