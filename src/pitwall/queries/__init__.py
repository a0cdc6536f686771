"""Domain read queries over the lake, shared by the read API and the marimo dashboards.

Each takes a DuckDB connection/cursor (``pitwall.sql.connect()``) first and returns a polars
frame; values are always bound parameters.
"""

from pitwall.queries.circuits import read_circuit_sectors, read_circuits
from pitwall.queries.frames import FrameReader, TableNotFoundError, fetch_frame
from pitwall.queries.ingestion import read_ingestion_log, read_quarantine_summary
from pitwall.queries.laps import read_session_laps
from pitwall.queries.leaderboard import read_lap_records, read_session_leaderboard
from pitwall.queries.reference import read_lap_samples, read_telemetry_laps
from pitwall.queries.rows import FILTER_OPS, FilterOp, RowFilter, RowsPage, SortKey, read_rows
from pitwall.queries.schema import Column, list_catalog_tables, read_columns
from pitwall.queries.season import (
    head_to_head,
    racing_laps,
    read_season_circuits,
    read_season_drivers,
    read_season_incidents,
    read_season_laps,
    read_theoretical_bests,
    season_drivers,
    season_progress,
)
from pitwall.queries.sectors import (
    best_sectors,
    read_line_crossings,
    read_sector_times,
    sector_times,
)
from pitwall.queries.sessions import read_sessions
from pitwall.queries.tables import read_table_list
from pitwall.queries.telemetry import TRACE_COLUMNS, read_lap_trace
from pitwall.queries.values import QueryError, parse_value, to_json_scalar

__all__ = [
    "FILTER_OPS",
    "TRACE_COLUMNS",
    "Column",
    "FilterOp",
    "FrameReader",
    "QueryError",
    "RowFilter",
    "RowsPage",
    "SortKey",
    "TableNotFoundError",
    "best_sectors",
    "fetch_frame",
    "head_to_head",
    "list_catalog_tables",
    "parse_value",
    "racing_laps",
    "read_circuit_sectors",
    "read_circuits",
    "read_columns",
    "read_ingestion_log",
    "read_lap_records",
    "read_lap_samples",
    "read_lap_trace",
    "read_line_crossings",
    "read_quarantine_summary",
    "read_rows",
    "read_season_circuits",
    "read_season_drivers",
    "read_season_incidents",
    "read_season_laps",
    "read_sector_times",
    "read_session_laps",
    "read_session_leaderboard",
    "read_sessions",
    "read_table_list",
    "read_telemetry_laps",
    "read_theoretical_bests",
    "season_drivers",
    "season_progress",
    "sector_times",
    "to_json_scalar",
]
