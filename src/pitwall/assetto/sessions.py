"""Sessions and drivers from RAW capture rows (pure polars functions).

A *session* is identified by ``<capture id>#<n>`` (n counts session starts in the capture,
so recomputing a capture gives the same ids).

- server: each NEW_SESSION starts one; rows before the first NEW_SESSION of a capture
  belong to a session described by the first SESSION_INFO reply (the daemon asks for it
  at start), else to an unnamed one.
- game: handshake responses (the two sockets answer together: answers closer than
  ``handshake_cluster_s`` are one) start one; a ``lap_count`` going backwards within a
  handshake's stream also starts one (restart without silence). Remote Telemetry repeats
  the track name as the layout (reference A.3), so ``track_config`` stays null.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from pitwall.lake.ingest import TIMESTAMP

__all__ = [
    "SESSION_COLUMNS",
    "SESSION_TYPES",
    "arrival_order",
    "assign_sessions",
    "game_sessions",
    "server_drivers",
    "server_sessions",
]

# Rows that belong to a session; VERSION, NEW_SESSION, SESSION_INFO and ERROR do not (VERSION
# precedes the first NEW_SESSION at server start and must not open an unnamed session).
SESSION_SCOPED = (
    "new_connection",
    "connection_closed",
    "car_update",
    "car_info",
    "end_session",
    "chat",
    "client_loaded",
    "lap_completed",
    "client_event",
)
SESSION_TYPES = {0: "booking", 1: "practice", 2: "qualify", 3: "race", 4: "drag", 5: "drift"}
SESSION_COLUMNS: dict[str, pl.DataType] = {
    "session_id": pl.String(),
    "protocol": pl.String(),
    "track": pl.String(),
    "track_config": pl.String(),
    "session_name": pl.String(),
    "session_type": pl.String(),
    "server_name": pl.String(),
    "started_at": TIMESTAMP,
    "capture_id": pl.String(),
}
_STARTS = {**SESSION_COLUMNS}
del _STARTS["session_id"]


def _number(starts: pl.DataFrame) -> pl.DataFrame:
    """Give each session start its id ``<capture>#<n>`` in time order."""
    return (
        starts.sort("capture_id", "started_at")
        .with_columns(n=pl.int_range(1, pl.len() + 1).over("capture_id"))
        .with_columns(session_id=pl.format("{}#{}", pl.col("capture_id"), pl.col("n")))
        .drop("n")
        .select(list(SESSION_COLUMNS))
    )


def _first_rows(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    parts = [f.select("capture_id", "received_at") for f in frames.values() if f.height]
    if not parts:
        return pl.DataFrame(schema={"capture_id": pl.String(), "received_at": TIMESTAMP})
    return pl.concat(parts).group_by("capture_id").agg(pl.col("received_at").min())


def _fill_leading(starts: pl.DataFrame, firsts: pl.DataFrame, protocol: str) -> pl.DataFrame:
    """Add an unnamed session for captures whose rows begin before their first start."""
    earliest = starts.group_by("capture_id").agg(pl.col("started_at").min().alias("first_start"))
    leading = (
        firsts.join(earliest, on="capture_id", how="left")
        .filter(pl.col("first_start").is_null() | (pl.col("received_at") < pl.col("first_start")))
        .select(
            pl.lit(protocol).alias("protocol"),
            *(
                pl.lit(None, dtype).alias(name)
                for name, dtype in _STARTS.items()
                if name not in ("protocol", "started_at", "capture_id")
            ),
            pl.col("received_at").alias("started_at"),
            "capture_id",
        )
        .select(list(_STARTS))
    )
    return pl.concat([starts.select(list(_STARTS)), leading.cast(_STARTS)])  # type: ignore[arg-type]


def arrival_order(rows: pl.DataFrame) -> pl.DataFrame:
    """A capture's rows in the order the daemon received them, ``received_at`` made strictly
    increasing within each capture.

    Receive times are kept to the microsecond, so a burst gives several datagrams the same
    stamp; sorted by stamp alone their order is arbitrary, and the first row of a restarted
    session would start it at the stamp of the last rows of the session before (which then
    move into it). The daemon writes rows in arrival order (files ``<capture>-<seq>``, rows
    ``_source_row``): that order breaks ties, and each tied row is moved 1 us after the one
    before it, within the stamps' own precision.
    """
    if rows.is_empty():
        return rows
    order = [c for c in ("_source", "_source_row") if c in rows.columns]
    stamp = pl.col("received_at").dt.epoch("us")
    i = pl.int_range(pl.len()).over("capture_id")
    return rows.sort("capture_id", "received_at", *order, maintain_order=True).with_columns(
        ((stamp - i).cum_max().over("capture_id") + i)
        .cast(pl.Datetime("us"))
        .dt.replace_time_zone("UTC")
        .cast(rows.schema["received_at"])
        .alias("received_at")
    )


def assign_sessions(rows: pl.DataFrame, sessions: pl.DataFrame) -> pl.DataFrame:
    """Add ``session_id`` to rows: the latest session started at or before each row."""
    if rows.is_empty():
        return rows.with_columns(pl.lit(None, pl.String).alias("session_id"))
    keys = sessions.select("capture_id", "started_at", "session_id").sort("started_at")
    return (
        rows.sort("received_at")
        .join_asof(
            keys,
            left_on="received_at",
            right_on="started_at",
            by="capture_id",
            strategy="backward",
            check_sortedness=False,
        )
        .drop("started_at")
    )


def server_sessions(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Sessions of server captures (see the module docstring)."""

    def describe(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select(
            pl.lit("server").alias("protocol"),
            "track",
            "track_config",
            "session_name",
            pl.col("session_type")
            .replace_strict(SESSION_TYPES, default=None, return_dtype=pl.String)
            .fill_null(pl.col("session_type").cast(pl.String)),
            "server_name",
            pl.col("received_at").alias("started_at"),
            "capture_id",
        ).cast(_STARTS)  # type: ignore[arg-type]

    empty = pl.DataFrame(schema=_STARTS)
    news = describe(frames["new_session"]) if "new_session" in frames else empty
    infos = describe(frames["session_info"]) if "session_info" in frames else empty
    server_rows = {k: v for k, v in frames.items() if k in SESSION_SCOPED}
    firsts = _first_rows(server_rows)
    first_new = news.group_by("capture_id").agg(pl.col("started_at").min().alias("first_new"))
    # the first SESSION_INFO before any NEW_SESSION describes the session already running
    leading_info = (
        infos.join(first_new, on="capture_id", how="left")
        .filter(pl.col("first_new").is_null() | (pl.col("started_at") < pl.col("first_new")))
        .sort("started_at")
        .group_by("capture_id", maintain_order=True)
        .first()
        .drop("first_new")
        .join(firsts, on="capture_id")
        .with_columns(pl.col("received_at").alias("started_at"))
        .drop("received_at")
    )
    starts = pl.concat([news, leading_info.select(list(_STARTS))])
    return _number(_fill_leading(starts, firsts, "server"))


def game_sessions(
    frames: dict[str, pl.DataFrame], *, handshake_cluster_s: float, reorder_window_s: float = 0.5
) -> pl.DataFrame:
    """Sessions of game captures (see the module docstring). A ``lap_count`` that drops is a
    restart only if it stays down: when the stream is back at the previous count within
    ``reorder_window_s``, the drop was a datagram arriving late (UDP reorders)."""
    empty = pl.DataFrame(schema=_STARTS)
    hands = frames.get("handshake_response")
    if hands is not None and hands.height:
        gap = pl.duration(microseconds=int(handshake_cluster_s * 1e6))
        starts = (
            hands.sort("capture_id", "received_at")
            .with_columns(
                new=(pl.col("received_at").diff().over("capture_id").fill_null(gap + gap) > gap)
            )
            .filter(pl.col("new"))
            .select(
                pl.lit("game").alias("protocol"),
                pl.col("track_name").alias("track"),
                pl.lit(None, pl.String).alias("track_config"),
                pl.lit(None, pl.String).alias("session_name"),
                pl.lit(None, pl.String).alias("session_type"),
                pl.lit(None, pl.String).alias("server_name"),
                pl.col("received_at").alias("started_at"),
                "capture_id",
            )
            .cast(_STARTS)  # type: ignore[arg-type]
        )
    else:
        starts = empty
    game_rows = {k: v for k, v in frames.items() if k in ("rt_car_info", "rt_lap")}
    firsts = _first_rows(game_rows)
    base = _number(_fill_leading(starts, firsts, "game"))
    cars = frames.get("rt_car_info")
    if cars is None or cars.is_empty():
        return base
    # a lap counter going backwards inside one handshake's stream: a restarted session
    stream = assign_sessions(cars.select("capture_id", "received_at", "lap_count"), base).sort(
        "session_id", "received_at"
    )
    resets = (
        _restarts(stream, reorder_window_s=reorder_window_s)
        .join(base.drop("started_at", "capture_id"), on="session_id")
        .select(
            pl.col("received_at").alias("started_at"), *(c for c in _STARTS if c != "started_at")
        )
        .select(list(_STARTS))
    )
    if resets.is_empty():
        return base
    return _number(pl.concat([base.select(list(_STARTS)), resets.cast(_STARTS)]))  # type: ignore[arg-type]


def _restarts(stream: pl.DataFrame, *, reorder_window_s: float) -> pl.DataFrame:
    """Rows of ``stream`` (sorted by session, receive time) where ``lap_count`` drops below
    the previous row's and no row of the next ``reorder_window_s`` is back at that count."""
    flagged = stream.with_columns(
        _before=pl.col("lap_count").shift(1).over("session_id"), _i=pl.int_range(pl.len())
    ).with_columns(
        _back=pl.col("lap_count") < pl.col("_before"), _last=pl.col("_i").max().over("session_id")
    )
    drops = flagged.filter(pl.col("_back"))
    stamps = flagged["received_at"].dt.epoch("us").to_numpy()
    laps = flagged["lap_count"].to_numpy()
    window = int(reorder_window_s * 1e6)
    keep = []
    for i, before, last in drops.select("_i", "_before", "_last").iter_rows():
        later = stamps[i + 1 : last + 1]  # the rest of the session, in receive order
        end = i + 1 + int(np.searchsorted(later, stamps[i] + window, side="right"))
        keep.append(not bool((laps[i + 1 : end] >= before).any()))
    return drops.filter(pl.Series(keep, dtype=pl.Boolean)).drop("_before", "_i", "_back", "_last")


def server_drivers(frames: dict[str, pl.DataFrame], sessions: pl.DataFrame) -> pl.DataFrame:
    """Who drove which car in each server session: one row per connection and session.

    NEW_CONNECTION is sent once per connection, not per session, so the cars connected
    when a session starts are carried into it; CAR_INFO replies of connected cars count too.
    A car slot can change hands (or the same driver reconnect) within a session: each
    connection keeps its own row, ``connected_at`` telling them apart, so laps can be
    attributed to whoever was connected when they were completed.
    """
    events: list[dict[str, Any]] = []
    for kind, action in (
        ("new_connection", "join"),
        ("car_info", "info"),
        ("connection_closed", "leave"),
    ):
        frame = frames.get(kind)
        if frame is None:
            continue
        if kind == "car_info":
            frame = frame.filter(pl.col("is_connected"))
        for row in frame.iter_rows(named=True):
            events.append({**row, "_action": action})
    starts = sessions.filter(pl.col("protocol") == "server").iter_rows(named=True)
    for row in starts:
        events.append(
            {
                "received_at": row["started_at"],
                "capture_id": row["capture_id"],
                "session_id": row["session_id"],
                "_action": "session",
            }
        )
    order = {"session": 0, "leave": 1, "join": 2, "info": 3}
    events.sort(key=lambda e: (e["capture_id"], e["received_at"], order[e["_action"]]))
    out: list[dict[str, Any]] = []
    connected: dict[tuple[str, int], dict[str, Any]] = {}
    session_id: dict[str, str | None] = {}
    for e in events:
        capture = e["capture_id"]
        if e["_action"] == "session":
            session_id[capture] = e["session_id"]
            out.extend(
                {**d, "session_id": e["session_id"]}
                for (c, _), d in connected.items()
                if c == capture
            )
            continue
        key = (capture, e["car_id"])
        if e["_action"] == "leave":
            connected.pop(key, None)
            continue
        driver = {
            "car_id": e["car_id"],
            "driver_name": e["driver_name"],
            "driver_guid": e["driver_guid"],
            "car_model": e["car_model"],
            "car_skin": e["car_skin"],
            "connected_at": e["received_at"],
        }
        connected[key] = driver
        if session_id.get(capture):
            out.append({**driver, "session_id": session_id[capture]})
    schema = {
        "session_id": pl.String(),
        "car_id": pl.Int64(),
        "driver_name": pl.String(),
        "driver_guid": pl.String(),
        "car_model": pl.String(),
        "car_skin": pl.String(),
        "connected_at": TIMESTAMP,
    }
    frame = pl.DataFrame(out, schema=schema) if out else pl.DataFrame(schema=schema)
    # a CAR_INFO reply repeats the connection it describes: keep the connection's first sight
    return (
        frame.with_columns(
            pl.col("driver_guid").fill_null(""),
            _new=(
                pl.struct("driver_guid", "driver_name").ne_missing(
                    pl.struct("driver_guid", "driver_name").shift(1)
                )
            ).over("session_id", "car_id", order_by="connected_at"),
        )
        .filter(pl.col("_new"))
        .drop("_new")
    )
