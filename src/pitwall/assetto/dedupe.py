"""Deduplication in CLEAN that never drops silently (see ``pitwall.assetto.tables``).

- ``drop_duplicate_datagrams``: a datagram the network delivered twice;
- ``dedupe_collisions``: the two reports of one car-to-car contact, merged (``reports``);
- ``dedupe_by_keys``: one row per natural key.

Every row dropped is returned as a ``superseded`` quarantine row naming what was kept, except
a contact's second report, which its kept row counts.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import polars as pl

__all__ = ["NOT_DUPLICATES", "dedupe_by_keys", "dedupe_collisions", "drop_duplicate_datagrams"]


def dedupe_by_keys(
    frame: pl.DataFrame, keys: tuple[str, ...], *, table: str, quarantine: list[dict[str, Any]]
) -> pl.DataFrame:
    """One row per key (the first in order); every other row goes to ``quarantine`` as
    ``superseded``, its reason naming the key and the columns where it differs from the row
    kept in its place (which CLEAN holds under that key; the dropped row is the record)."""
    ranked = frame.with_columns(_dup=pl.int_range(pl.len()).over(list(keys)))
    extra = ranked.filter(pl.col("_dup") > 0).drop("_dup")
    kept = ranked.filter(pl.col("_dup") == 0).drop("_dup")
    if extra.is_empty():
        return kept
    holders = {
        tuple(row[k] for k in keys): row
        for row in kept.join(
            extra.select(keys), on=list(keys), how="semi", nulls_equal=True
        ).iter_rows(named=True)
    }
    for row in extra.iter_rows(named=True):
        key = tuple(row[k] for k in keys)
        named = ", ".join(f"{k}={v!r}" for k, v in zip(keys, key, strict=True))
        quarantine.append(
            {
                "source_row": None,
                "reason": (
                    f"superseded: clean.{table} key ({named}) is held by an earlier row; "
                    f"{_differences(row, holders[key])}"
                ),
                "record": row,
                "capture_id": row.get("capture_id"),
            }
        )
    return kept


# Kinds whose identical rows are real: RTCarInfo at the physics rate (a paused game sends the
# same sample again), and the handshake response each of the two game sockets receives.
NOT_DUPLICATES = ("rt_car_info", "handshake_response")


def drop_duplicate_datagrams(
    frames: dict[str, pl.DataFrame], *, window_s: float, quarantine: list[dict[str, Any]]
) -> dict[str, pl.DataFrame]:
    """Rows of datagrams the network delivered twice: a row whose kind, source, capture and
    every field equal those of a row received at most ``window_s`` earlier goes to
    ``quarantine`` as ``superseded`` (the earlier row is kept), so a duplicated LAP_COMPLETED
    or collision report is not counted twice."""
    gap = pl.duration(microseconds=int(window_s * 1e6))
    out = {}
    for kind, frame in frames.items():
        payload = [c for c in frame.columns if not c.startswith("_") and c != "received_at"]
        if kind in NOT_DUPLICATES or frame.is_empty() or not payload:
            out[kind] = frame
            continue
        fields = pl.struct(payload)
        ranked = (
            frame.sort("received_at")
            .with_row_index("_i")
            .with_columns(_h=fields.hash())
            .with_columns(
                _dup=(
                    fields.eq_missing(fields.shift(1))
                    & (pl.col("received_at") - pl.col("received_at").shift(1) <= gap)
                )
                .fill_null(False)
                .over("_h")
            )
            .with_columns(
                _kept=pl.when(~pl.col("_dup")).then(pl.col("_i")).forward_fill().over("_h")
            )
        )
        dups = ranked.filter(pl.col("_dup"))
        if dups.is_empty():
            out[kind] = frame
            continue
        held = {
            row["_i"]: row
            for row in ranked.join(dups.select(pl.col("_kept").alias("_i")), on="_i", how="semi")
            .drop("_h", "_dup", "_kept")
            .iter_rows(named=True)
        }
        for row in dups.drop("_h", "_dup").iter_rows(named=True):
            kept = held[row.pop("_kept")]
            quarantine.append(
                {
                    "source": row.get("_source"),
                    "source_row": row.get("_source_row"),
                    "batch_id": row.get("_batch_id"),
                    "reason": (
                        f"superseded: duplicate {kind} datagram, identical to the row kept "
                        f"(received {_ms(row['received_at'] - kept['received_at'])} ms earlier,"
                        f" {kept.get('_source')} row {kept.get('_source_row')})"
                    ),
                    "record": {k: v for k, v in row.items() if not k.startswith("_")},
                    "capture_id": row.get("capture_id"),
                }
            )
        out[kind] = ranked.filter(~pl.col("_dup")).drop("_i", "_h", "_dup", "_kept")
    return out


def _ms(gap: timedelta) -> str:
    """A gap between two receive times in milliseconds, to the microsecond (``7.382``)."""
    return f"{gap / timedelta(milliseconds=1):.3f}"


def _differences(row: dict[str, Any], kept: dict[str, Any], *, shown: int = 8) -> str:
    """Which columns of a dropped row differ from the kept one: names only, so that a wide
    telemetry row gives a reason of one line (its values are in the record and in CLEAN)."""
    names = [k for k, v in row.items() if not _same(v, kept.get(k))]
    if not names:
        return "identical to it"
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return f"it differs in {', '.join(names[:shown])}{more}"


def _same(a: Any, b: Any) -> bool:
    both_nan = isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)
    return both_nan or a == b


def dedupe_collisions(
    events: pl.DataFrame, *, window_s: float, max_distance_m: float | None = None
) -> pl.DataFrame:
    """Collisions, a car-to-car contact once: the server reports it twice, once per car with
    the ids swapped, and the two reports' positions can be metres apart. A report is the
    second half of an open contact of the same pair of cars (unordered) received at most
    ``window_s`` earlier; with several candidates the nearest in time wins. Distance is only a
    secondary rule: reports further apart than ``max_distance_m`` (None: no limit) are never
    one contact. ``reports`` counts the server reports a row stands for, so RAW reconciles."""
    rows = events.sort("ts").to_dicts()
    kept: list[dict[str, Any]] = []
    open_reports: list[dict[str, Any]] = []
    for row in rows:
        row["reports"] = 1
        if row["kind"] != "car":
            kept.append(row)
            continue
        open_reports = [
            o for o in open_reports if (row["ts"] - o["ts"]).total_seconds() <= window_s
        ]
        candidates = [
            o
            for o in open_reports
            if o["session_id"] == row["session_id"]
            and (o["car_id"], o["other_car_id"]) == (row["other_car_id"], row["car_id"])
            and (max_distance_m is None or _distance(o, row) <= max_distance_m)
        ]
        if candidates:
            partner = max(candidates, key=lambda o: o["ts"])
            partner["reports"] += 1
            open_reports.remove(partner)
            continue
        open_reports.append(row)
        kept.append(row)
    schema = {**events.schema, "reports": pl.Int64()}
    return pl.DataFrame(kept, schema=schema) if kept else pl.DataFrame(schema=schema)


def _distance(a: dict[str, Any], b: dict[str, Any]) -> float:
    return math.dist(
        (a["world_x"], a["world_y"], a["world_z"]), (b["world_x"], b["world_y"], b["world_z"])
    )
