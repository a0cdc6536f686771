"""Names and layout of the Assetto Corsa tables in the lake.

- RAW ``raw.ac_<kind>``: one table per capture dataset (``ac_rt_car_info``,
  ``ac_lap_completed``...), the capture's columns plus the ingestion metadata. Each landed
  Parquet file's marker (its path under the landing root) is committed with its rows.
- quarantine ``quarantine.assetto``: datagrams the daemon could not decode (stage
  ``capture``), unreadable files and bad rows (``land``), rows unfit for CLEAN (``clean``).
- CLEAN ``clean.ac_sessions``, ``ac_drivers``, ``ac_laps``, ``ac_telemetry``,
  ``ac_car_positions``, ``ac_collisions``, ``ac_leaderboard``: unique by the natural keys
  below, plus ``capture_id``; a rebuilt capture's rows replace its previous ones. A row that
  a key dedupe drops is quarantined (stage ``clean``, reason ``superseded: ...`` naming the
  key and the kept row), never dropped silently.
"""

from __future__ import annotations

from typing import Final

PIPELINE: Final = "ingest_assetto"
SOURCE: Final = "assetto"
QUARANTINE_TABLE: Final = "assetto"

GAME_KINDS: Final = ("handshake_response", "rt_car_info", "rt_lap")
SERVER_KINDS: Final = (
    "new_session",
    "session_info",
    "new_connection",
    "connection_closed",
    "car_update",
    "car_info",
    "end_session",
    "version",
    "chat",
    "client_loaded",
    "error",
    "lap_completed",
    "client_event",
)
RAW_KINDS: Final = (*GAME_KINDS, *SERVER_KINDS, "raw")
CAPTURE_QUARANTINE_KIND: Final = "quarantine"

CLEAN_KEYS: Final[dict[str, tuple[str, ...]]] = {
    # a car slot can change hands within a session: drivers and laps are keyed by who drove
    # (the connection: driver GUID + name + car slot + session); keep in step with
    # conf/base/parameters_mirror_postgres.yml (keys). Key columns are never null: '' = no
    # GUID (Remote Telemetry has none) or no name (the capture never saw the driver).
    "ac_drivers": ("session_id", "car_id", "driver_guid", "driver_name"),
    # lap_number: the lap's order within the connection (see clean.server_laps)
    "ac_laps": ("session_id", "car_id", "driver_guid", "driver_name", "lap_number"),
    # several datagrams can share a receive microsecond (bursts): the lap clock tells them apart
    "ac_telemetry": ("session_id", "car_id", "ts", "lap_time_ms"),
    "ac_car_positions": ("session_id", "car_id", "ts"),
    "ac_collisions": ("session_id", "ts", "kind", "car_id"),
    "ac_leaderboard": ("session_id", "ts", "car_id"),
    # written last: its commit carries the markers of the RAW files merged into CLEAN
    "ac_sessions": ("session_id",),
}


def raw_table(kind: str) -> str:
    """``rt_car_info`` -> ``ac_rt_car_info`` (``raw`` datagrams -> ``ac_datagrams``)."""
    return "ac_datagrams" if kind == "raw" else f"ac_{kind}"
