"""A real circuit and cars lapping it, shared by the fake game and the fake server.

A :class:`Circuit` is a shipped track (``ks_monza``, ``spa``...) and a GT3 car model. A
:class:`DrivenCar` is one driver on it from the start of a session: its laps are planned ahead
(speed profiles with the driver's lap-to-lap variation, see :mod:`driving`), so its position,
speed, pedals and every other channel at any simulated time come from numpy interpolation, for
one instant (:meth:`DrivenCar.state`) or thousands at once (:meth:`DrivenCar.channels`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from telemetry_capture.channels import LapPoints, lap_channels, lap_points, position_channels
from telemetry_capture.driving import FIELD, DriverSkill, LapKind, LapPlan, LapSpec, plan_laps
from telemetry_capture.physics import GT3, CarSpec
from telemetry_capture.track import Track, load_track

__all__ = ["DEFAULT_TRACK", "CarState", "Circuit", "DrivenCar", "plan_ahead", "start_delay"]

DEFAULT_TRACK = "ks_monza"
PLAN_BATCH = 6


@dataclass(frozen=True)
class CarState:
    """What the server publishes about a car at one instant (CAR_UPDATE)."""

    distance_m: float
    normalized_pos: float
    speed_ms: float
    x: float
    y: float
    z: float
    velocity: tuple[float, float, float]
    gear: int  # AC convention: 0 = R, 1 = N, 2 = 1st
    rpm: float


class Circuit:
    """A shipped circuit (AC track id) driven by ``car``."""

    def __init__(self, track: str = DEFAULT_TRACK, *, car: CarSpec = GT3) -> None:
        self.track: Track = load_track(track)
        self.car = car

    @property
    def name(self) -> str:
        return self.track.info.track

    @property
    def config(self) -> str:
        return self.track.info.config

    @property
    def length(self) -> float:
        return self.track.length

    @functools.cached_property
    def lap_time(self) -> float:
        """A typical flying lap of a mid-field driver, seconds (for session timing)."""
        [lap] = plan_laps(self.track, [LapSpec("flying", FIELD[3], (0,))])
        return lap.seconds


@dataclass
class DrivenCar:
    """A driver lapping ``circuit`` from session time 0, crossing the line after ``start_delay``.

    The first lap is ``start`` (``standing`` for a race start, ``out`` from the pit lane, or
    ``flying``), the rest are flying laps. ``advance(now)`` reports the laps completed by then.
    Lap ``k`` is planned from the seed ``(*seed, k)``: the same seed drives the same laps.
    """

    circuit: Circuit
    skill: DriverSkill = FIELD[0]
    start: LapKind = "flying"
    start_delay: float = 0.0
    seed: tuple[int, ...] = (0,)
    laps: list[LapPlan] = field(default_factory=list, repr=False)
    starts: list[float] = field(default_factory=list, repr=False)  # session time of each lap start
    lap_count: int = 0
    last_lap_ms: int = 0
    best_lap_ms: int = 0
    _points: dict[int, LapPoints] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.starts = [self.start_delay]

    def next_laps(self, count: int) -> list[LapSpec]:
        """What to plan for the next ``count`` laps."""
        first = len(self.laps)
        return [
            LapSpec("flying" if first + i else self.start, self.skill, (*self.seed, first + i))
            for i in range(count)
        ]

    def add_laps(self, laps: Sequence[LapPlan]) -> None:
        for lap in laps:
            self.laps.append(lap)
            self.starts.append(self.starts[-1] + lap.seconds)

    def plan_until(self, until: float) -> None:
        """Plan laps (in batches) until the car's planned laps run past session time ``until``."""
        while not self.laps or self.starts[-1] <= until:
            self.add_laps(plan_laps(self.circuit.track, self.next_laps(PLAN_BATCH)))

    def lap_ms(self, index: int) -> int:
        """The time of lap ``index``: a race's first lap counts from the start signal, so it
        includes the wait of a car further back on the grid."""
        if index == 0 and self.start == "standing":
            return round(self.starts[1] * 1000)
        return self.laps[index].lap_ms

    def advance(self, now: float) -> list[tuple[LapPlan, int]]:
        """Move to ``now`` (seconds since the session start); return the laps completed, each
        with its lap time (ms)."""
        self.plan_until(now)
        done = []
        while self.starts[self.lap_count + 1] <= now:
            lap, lap_ms = self.laps[self.lap_count], self.lap_ms(self.lap_count)
            self.lap_count += 1
            self.last_lap_ms = lap_ms
            self.best_lap_ms = min(self.best_lap_ms or lap_ms, lap_ms)
            done.append((lap, lap_ms))
        return done

    def lap_elapsed(self, now: float) -> float:
        """Seconds into the current lap (0 while waiting to start)."""
        return max(0.0, now - self.starts[self.lap_count])

    def locate(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lap index, seconds into that lap and distance along it at each session time."""
        times = np.asarray(times, dtype=np.float64)
        self.plan_until(float(times.max(initial=0.0)))
        starts = np.asarray(self.starts)
        lap = np.clip(np.searchsorted(starts, times, side="right") - 1, 0, len(self.laps) - 1)
        elapsed = np.maximum(times - starts[lap], 0.0)
        distance = np.empty_like(times)
        grid = np.arange(self.circuit.track.n + 1) * self.circuit.track.step
        for index in np.unique(lap):
            mine = lap == index
            distance[mine] = np.interp(elapsed[mine], self.laps[index].elapsed, grid)
        return lap, elapsed, distance

    def _lap_points(self, index: int) -> LapPoints:
        points = self._points.get(index)
        if points is None:
            car, step = self.circuit.car, self.circuit.track.step
            points = self._points[index] = lap_points(car, self.laps[index], step=step)
        return points

    def _per_lap(
        self,
        lap: np.ndarray,
        distance: np.ndarray,
        compute: Callable[[int, np.ndarray], dict[str, np.ndarray]],
    ) -> dict[str, np.ndarray]:
        """``compute(lap index, distances)`` for each lap the samples fall in, reassembled."""
        parts = []
        for index in np.unique(lap):
            mine = np.flatnonzero(lap == index)
            parts.append((mine, compute(int(index), distance[mine])))
        out = {
            name: np.empty((len(lap), *values.shape[1:]), dtype=values.dtype)
            for name, values in parts[0][1].items()
        }
        for mine, values in parts:
            for name, column in values.items():
                out[name][mine] = column
        return out

    def positions(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """The CAR_UPDATE fields at each session time (much cheaper than :meth:`channels`)."""
        lap, _, distance = self.locate(times)
        car, track = self.circuit.car, self.circuit.track
        out = self._per_lap(
            lap, distance, lambda i, d: position_channels(car, track, self.laps[i], d)
        )
        out["distance"] = distance
        return out

    def channels(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """Every RTCarInfo channel at each session time, plus the lap clock fields."""
        lap, elapsed, distance = self.locate(times)
        car, track = self.circuit.car, self.circuit.track
        out = self._per_lap(
            lap,
            distance,
            lambda i, d: lap_channels(car, track, self.laps[i], d, points=self._lap_points(i)),
        )
        lap_ms = np.array([self.lap_ms(i) for i in range(len(self.laps))], dtype=np.int64)
        best = np.minimum.accumulate(lap_ms) if len(lap_ms) else lap_ms
        done = lap  # laps completed before each sample
        out["lap_count"] = done
        out["lap_time"] = np.round(elapsed * 1000).astype(np.int64)
        out["last_lap"] = np.where(done > 0, lap_ms[np.maximum(done - 1, 0)], 0)
        out["best_lap"] = np.where(done > 0, best[np.maximum(done - 1, 0)], 0)
        out["distance"] = distance
        return out

    def state(self, now: float) -> CarState:
        """The CAR_UPDATE view of the car at ``now``."""
        c = self.positions(np.array([now]))
        x, y, z = (float(v) for v in c["car_coordinates"][0])
        vx, vy, vz = (float(v) for v in c["velocity"][0])
        return CarState(
            distance_m=float(c["distance"][0]),
            normalized_pos=float(c["car_position_normalized"][0]),
            speed_ms=float(c["speed_ms"][0]),
            x=x,
            y=y,
            z=z,
            velocity=(vx, vy, vz),
            gear=int(c["gear"][0]),
            rpm=float(c["engine_rpm"][0]),
        )


def start_delay(start: LapKind, slot: int) -> float:
    """Seconds after the session start a car in grid/pit slot ``slot`` crosses the line or
    leaves the pits: race cars roll a quarter second apart, practice cars leave 6 s apart."""
    return {"standing": 0.25, "out": 6.0}.get(start, 0.0) * slot


def plan_ahead(cars: Sequence[DrivenCar], laps: int) -> None:
    """Plan the next ``laps`` laps of every car in one numpy pass (a session start)."""
    if not cars or laps < 1:
        return
    track = cars[0].circuit.track
    specs = [spec for car in cars for spec in car.next_laps(laps)]
    planned = plan_laps(track, specs)
    for i, car in enumerate(cars):
        car.add_laps(planned[i * laps : (i + 1) * laps])
