"""Deterministic (seeded) partner data: league events, entries, results, track weather, standings.

Records of a resource are kept ordered by ``(updated_at, id)``; several records share an
``updated_at`` on purpose so that clients must handle cursor ties at page boundaries.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

Resource = Literal["events", "entries", "results", "weather", "standings"]
RESOURCES: tuple[Resource, ...] = ("events", "entries", "results", "weather", "standings")

EPOCH = datetime(2025, 3, 1, tzinfo=UTC)
TIES = 3  # records per distinct updated_at
DEFAULT_SIZES: dict[Resource, int] = {
    "events": 60,
    "entries": 1_200,
    "results": 1_200,
    "weather": 2_000,
    "standings": 150,
}

TRACKS: tuple[tuple[str, float, float], ...] = (
    ("monza", 45.6156, 9.2811),
    ("spa", 50.4372, 5.9714),
    ("imola", 44.3439, 11.7167),
    ("mugello", 43.9975, 11.3719),
    ("silverstone", 52.0786, -1.0169),
    ("brands_hatch", 51.3569, 0.2628),
    ("nurburgring", 50.3356, 6.9475),
    ("barcelona", 41.57, 2.2611),
)
LEAGUES = ("gt3-sprint", "gt3-endurance", "formula-hybrid", "touring-cup")
CARS = ("ks_ferrari_488_gt3", "ks_porsche_911_gt3_r", "ks_audi_r8_lms", "ks_mclaren_650_gt3")
FIRST = ("Ada", "Bruno", "Chiara", "Dev", "Elin", "Farid", "Greta", "Hugo", "Ines", "Jonas")
LAST = ("Rossi", "Meyer", "Okafor", "Silva", "Novak", "Larsen", "Moreau", "Kato", "Ruiz")


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _driver(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def _event(i: int, rng: random.Random) -> dict[str, Any]:
    track, _, _ = TRACKS[i % len(TRACKS)]
    return {
        "event_id": f"evt-{i:06d}",
        "league": LEAGUES[i % len(LEAGUES)],
        "name": f"{track.replace('_', ' ').title()} round {i // len(TRACKS) + 1}",
        "track": track,
        "round": i // len(LEAGUES) + 1,
        "starts_at": iso(EPOCH + timedelta(days=i, hours=rng.randint(12, 20))),
        "laps": rng.randint(12, 40),
    }


def _entry(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "entry_id": f"ent-{i:07d}",
        "event_id": f"evt-{i // 20:06d}",
        "driver": {"name": _driver(rng), "nationality": rng.choice(("IT", "DE", "NG", "BR"))},
        "car_model": rng.choice(CARS),
        "car_number": rng.randint(1, 99),
        "team": f"Team {rng.choice(LAST)}",
    }


def _result(i: int, rng: random.Random) -> dict[str, Any]:
    best = rng.randint(95_000, 125_000)
    laps = rng.randint(12, 40)
    record: dict[str, Any] = {
        "result_id": f"res-{i:07d}",
        "event_id": f"evt-{i // 20:06d}",
        "entry_id": f"ent-{i:07d}",
        "position": i % 20 + 1,
        "laps": laps,
        "best_lap_ms": best,
        "total_time_ms": best * laps + rng.randint(0, 90_000),
        "status": "finished",
        "revision": 1,
    }
    if i % 97 == 13:  # a partner data-quality problem: the clients must quarantine it
        record["total_time_ms"] = "DNF"
        record["status"] = "retired"
    return record


def _weather(i: int, rng: random.Random) -> dict[str, Any]:
    track, lat, lon = TRACKS[i % len(TRACKS)]
    return {
        "observation_id": f"wx-{i:08d}",
        "track": track,
        "lat": lat,
        "lon": lon,
        "observed_at": iso(EPOCH + timedelta(minutes=10 * (i // len(TRACKS)))),
        "air_temp_c": round(rng.uniform(4.0, 34.0), 1),
        "track_temp_c": round(rng.uniform(6.0, 52.0), 1),
        "humidity_pct": rng.randint(20, 98),
        "wind_kmh": round(rng.uniform(0.0, 45.0), 1),
        "rain_mm": round(max(0.0, rng.gauss(0.0, 1.5)), 2),
    }


def _standing(i: int, rng: random.Random) -> dict[str, Any]:
    return {
        "standing_id": f"std-{i:05d}",
        "league": LEAGUES[i % len(LEAGUES)],
        "driver": _driver(rng),
        "position": i // len(LEAGUES) + 1,
        "points": max(0, 400 - 9 * (i // len(LEAGUES)) + rng.randint(0, 8)),
    }


_BUILDERS: dict[Resource, Callable[[int, random.Random], dict[str, Any]]] = {
    "events": _event,
    "entries": _entry,
    "results": _result,
    "weather": _weather,
    "standings": _standing,
}
ID_FIELDS: dict[Resource, str] = {
    "events": "event_id",
    "entries": "entry_id",
    "results": "result_id",
    "weather": "observation_id",
    "standings": "standing_id",
}


@dataclass
class ResourceTable:
    """One resource's records ordered by ``(updated_at, id)`` with a bisectable time index."""

    records: list[dict[str, Any]] = field(default_factory=list)
    stamps: list[int] = field(default_factory=list)  # updated_at as epoch microseconds


class PartnerData:
    """All resources, generated from a seed; ``touch`` simulates partner-side updates."""

    def __init__(self, *, seed: int = 7, sizes: Mapping[str, int] | None = None) -> None:
        self._lock = threading.Lock()
        self._tables: dict[Resource, ResourceTable] = {}
        self._clock: dict[Resource, int] = {}
        wanted = {**DEFAULT_SIZES, **dict(sizes or {})}
        for resource in RESOURCES:
            rng = random.Random(f"{seed}:{resource}")  # nosec B311
            table = ResourceTable()
            for i in range(int(wanted[resource])):
                stamp = EPOCH + timedelta(seconds=i // TIES)
                record = _BUILDERS[resource](i, rng)
                record["updated_at"] = iso(stamp)
                table.records.append(record)
                table.stamps.append(_micros(stamp))
            self._tables[resource] = table
            self._clock[resource] = int(wanted[resource]) // TIES + 1

    def count(self, resource: Resource) -> int:
        return len(self._tables[resource].records)

    def select(self, resource: Resource, *, updated_since: datetime | None) -> list[dict[str, Any]]:
        """The records updated at or after ``updated_since`` (inclusive), in cursor order."""
        table = self._tables[resource]
        with self._lock:
            if updated_since is None:
                return table.records
            start = bisect.bisect_left(table.stamps, _micros(updated_since))
            return table.records[start:]

    def all_records(self, resource: Resource) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._tables[resource].records]

    def touch(self, resource: Resource, *, count: int) -> list[str]:
        """Update the ``count`` oldest records (new ``updated_at``, changed payload)."""
        table = self._tables[resource]
        id_field = ID_FIELDS[resource]
        with self._lock:
            moved = table.records[:count]
            stamp = EPOCH + timedelta(seconds=self._clock[resource])
            self._clock[resource] += 1
            updated = [{**r, "updated_at": iso(stamp), **_revise(resource, r)} for r in moved]
            table.records = table.records[count:] + updated
            table.stamps = table.stamps[count:] + [_micros(stamp)] * len(updated)
            return [str(r[id_field]) for r in updated]


def _revise(resource: Resource, record: Mapping[str, Any]) -> dict[str, Any]:
    if resource == "results":
        return {"revision": int(record.get("revision", 1)) + 1}
    if resource == "weather":
        return {"air_temp_c": round(float(record["air_temp_c"]) + 0.5, 1)}
    if resource == "standings":
        return {"points": int(record["points"]) + 25}
    if resource == "events":
        return {"laps": int(record["laps"]) + 1}
    return {"car_number": int(record["car_number"]) % 99 + 1}


def _micros(ts: datetime) -> int:
    return (ts - _UNIX) // timedelta(microseconds=1)


_UNIX = datetime(1970, 1, 1, tzinfo=UTC)
