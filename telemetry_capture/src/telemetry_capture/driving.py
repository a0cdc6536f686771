"""Drivers on a circuit: skill, and laps that differ the way real laps do.

Each lap gets its own speed profile (:func:`physics.speed_profiles`) from the driver's skill
with lap-to-lap variation: how much of the grip they use (overall and corner by corner, so the
minimum corner speeds differ), where they brake (a lower braking share brakes earlier), how
early they get on the throttle, the odd mistake (a corner taken slowly and wide) and track-limit
cuts (a corner straightened over the kerbs: faster, and counted by the server).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from telemetry_capture.physics import GT3, CarSpec, speed_profiles
from telemetry_capture.track import Track

__all__ = ["FIELD", "DriverSkill", "LapKind", "LapPlan", "LapSpec", "field_skill", "plan_laps"]

LapKind = Literal["flying", "standing", "out"]
PIT_SPEED_MS = 80 / 3.6


@dataclass(frozen=True)
class DriverSkill:
    """How a driver drives: shares of the car's limits used, and how much they vary."""

    grip: float = 0.985  # share of the lateral grip used in corners
    brake: float = 0.93  # share of the braking grip used (lower = earlier braking points)
    throttle: float = 0.97  # share of the drive used on corner exits
    consistency: float = 0.003  # lap-to-lap standard deviation of those shares
    corner_spread: float = 0.012  # corner-to-corner variation of the grip used
    brake_spread: float = 0.05  # variation of the braking points along the lap
    mistake_rate: float = 0.1  # chance of a mistake per lap
    cut_rate: float = 0.08  # chance of a track-limit cut per lap


# A GT3 field, fastest first: about two seconds a lap between the first and the last.
FIELD: tuple[DriverSkill, ...] = (
    DriverSkill(0.995, 0.96, 0.99, 0.0025, 0.010, 0.04, 0.06, 0.06),
    DriverSkill(0.99, 0.95, 0.985, 0.003, 0.011, 0.045, 0.08, 0.10),
    DriverSkill(0.985, 0.94, 0.98, 0.0035, 0.012, 0.05, 0.10, 0.08),
    DriverSkill(0.98, 0.92, 0.975, 0.004, 0.013, 0.05, 0.12, 0.12),
    DriverSkill(0.975, 0.91, 0.97, 0.0045, 0.014, 0.055, 0.12, 0.10),
    DriverSkill(0.97, 0.90, 0.96, 0.005, 0.015, 0.06, 0.14, 0.14),
    DriverSkill(0.967, 0.89, 0.957, 0.006, 0.016, 0.06, 0.16, 0.12),
    DriverSkill(0.964, 0.88, 0.953, 0.007, 0.018, 0.07, 0.18, 0.16),
)


def field_skill(index: int) -> DriverSkill:
    """The skill of the ``index``-th car of a field (cycles through :data:`FIELD`)."""
    return FIELD[index % len(FIELD)]


@dataclass(frozen=True)
class LapPlan:
    """One lap as driven: per point of the track's race line, and the lap's totals."""

    kind: LapKind
    speed: np.ndarray  # m/s
    elapsed: np.ndarray  # seconds since the line at each point, plus the lap time at the end
    curvature: np.ndarray  # of the path driven, 1/m
    offset: np.ndarray  # metres left of the race line
    grip_use: np.ndarray  # lateral acceleration / the lateral limit, 0..1
    dirt: np.ndarray  # tyre dirt level (0 clean, up to ~3 after a trip over the grass)
    pit_until_m: float  # the lap starts in the pit lane up to this distance (out-laps)
    cuts: int
    mistakes: tuple[float, ...]  # distances along the lap of the mistakes

    @property
    def seconds(self) -> float:
        return float(self.elapsed[-1])

    @property
    def lap_ms(self) -> int:
        return round(self.seconds * 1000)


def _smooth_noise(white: np.ndarray, sigma: float) -> np.ndarray:
    """Unit-variance noise correlated over ``sigma`` points along the last axis (circular)."""
    n = white.shape[-1]
    kernel = np.exp(-2 * (np.pi * np.fft.rfftfreq(n) * sigma) ** 2)
    smooth = np.fft.irfft(np.fft.rfft(white, axis=-1) * kernel, n, axis=-1)
    return smooth / np.maximum(smooth.std(axis=-1, keepdims=True), 1e-12)


@functools.lru_cache(maxsize=16)
def _apexes(track: Track) -> np.ndarray:
    """Indices of the corners' apexes: peaks of |curvature| tighter than a 300 m radius."""
    k = np.abs(track.curvature)
    peak = (k > np.roll(k, 1)) & (k >= np.roll(k, -1)) & (k > 1 / 300)
    found = np.flatnonzero(peak)
    spacing = max(1, int(60 / track.step))
    kept: list[int] = []
    for i in found[np.argsort(-k[found])]:  # tightest first; drop peaks within 60 m of one kept
        if all(min(abs(i - j), track.n - abs(i - j)) > spacing for j in kept):
            kept.append(int(i))
    return np.sort(np.asarray(kept, dtype=np.int64))


def _bump(track: Track, centre: int, *, before_m: float, after_m: float) -> np.ndarray:
    """A smooth 0..1..0 bump along the lap around point ``centre``."""
    offset = (np.arange(track.n) - centre + track.n // 2) % track.n - track.n // 2
    d = offset * track.step
    width = np.where(d < 0, before_m, after_m)
    return np.exp(-0.5 * (d / (width / 2)) ** 2)


def _inside_width(track: Track, index: int) -> float:
    widths = track.width_left if track.curvature[index] > 0 else track.width_right
    return float(widths[index])


def _column(skills: Sequence[DriverSkill], name: str) -> np.ndarray:
    return np.array([getattr(skill, name) for skill in skills], dtype=np.float64)[:, None]


@dataclass(frozen=True)
class LapSpec:
    """A lap to plan: its kind, the driver's skill and its own random seed (the same seed
    plans the same lap, however the laps are batched: the fake game and the fake server
    drive identical laps for a player who is in both)."""

    kind: LapKind
    skill: DriverSkill
    seed: tuple[int, ...]


def plan_laps(track: Track, laps: Sequence[LapSpec], *, car: CarSpec = GT3) -> list[LapPlan]:
    """Plan laps of any drivers: each lap's randomness from its seed, profiles in one pass."""
    count, n = len(laps), track.n
    if count == 0:
        return []
    kinds = [lap.kind for lap in laps]
    skills = [lap.skill for lap in laps]
    rngs = [np.random.default_rng(lap.seed) for lap in laps]
    lap_noise = np.stack([rng.normal(0.0, 1.0, 3) for rng in rngs]) * _column(skills, "consistency")
    white = np.stack([rng.standard_normal((3, n)) for rng in rngs])
    corner_noise = _smooth_noise(white[:, 0], 25.0 / track.step)
    brake_noise = _smooth_noise(white[:, 1], 60.0 / track.step)
    grip = (
        _column(skills, "grip")
        * (1 + lap_noise[:, :1])
        * (1 + _column(skills, "corner_spread") * corner_noise)
    )
    brake = (
        _column(skills, "brake")
        * (1 + lap_noise[:, 1:2])
        * (1 + _column(skills, "brake_spread") * brake_noise)
    )
    throttle = _column(skills, "throttle") * (1 + lap_noise[:, 2:3]) * np.ones((count, n))
    curvature = np.tile(track.curvature, (count, 1))
    offset = 0.25 * _smooth_noise(white[:, 2], 40.0 / track.step)  # the line varies a little
    dirt = np.zeros((count, n))
    cuts = np.zeros(count, dtype=np.int64)
    mistakes: list[list[float]] = [[] for _ in range(count)]
    apexes = _apexes(track)
    s = track.s
    for lap, (skill, rng) in enumerate(zip(skills, rngs, strict=True)):
        if rng.random() < skill.mistake_rate:  # too fast into a corner: slow and wide
            apex = int(rng.choice(apexes))
            bump = _bump(track, apex, before_m=40, after_m=120)
            grip[lap] *= 1 - rng.uniform(0.08, 0.16) * bump
            brake[lap] *= 1 - 0.2 * _bump(track, apex, before_m=160, after_m=10)
            side = -np.sign(track.curvature[apex])
            offset[lap] += (
                side
                * rng.uniform(1.5, 3.0)
                * _bump(track, (apex + int(50 / track.step)) % n, before_m=60, after_m=80)
            )
            mistakes[lap].append(float(s[apex]))
        if rng.random() < skill.cut_rate:  # over the kerbs: a straighter, faster line
            for apex in rng.choice(apexes, size=1 + int(rng.random() < 0.2), replace=False):
                bump = _bump(track, int(apex), before_m=50, after_m=50)
                curvature[lap] *= 1 - 0.18 * bump
                inside = _inside_width(track, int(apex)) + rng.uniform(0.8, 1.8)
                offset[lap] += np.sign(track.curvature[apex]) * inside * bump
                after = np.mod(s - s[apex], track.length)
                dirt[lap] += np.where(after < track.length / 2, 2.5 * np.exp(-after / 350), 0.0)
                cuts[lap] += 1
    grip, brake, throttle = (np.clip(a, 0.5, 1.0) for a in (grip, brake, throttle))
    speed = np.empty((count, n))
    pit_until = np.zeros(count)
    flying = np.array([k == "flying" for k in kinds])
    if flying.any():
        speed[flying] = speed_profiles(
            car,
            curvature[flying],
            step=track.step,
            grip=grip[flying],
            brake=brake[flying],
            throttle=throttle[flying],
        )
    if (~flying).any():
        starts = np.array([0.0 if k == "standing" else PIT_SPEED_MS for k in kinds])[~flying]
        pit_until[~flying] = np.where(starts > 0, min(400.0, 0.07 * track.length), 0.0)
        cap = np.where(s[None, :] < pit_until[~flying][:, None], PIT_SPEED_MS, np.inf)
        warm = np.where(starts > 0, 0.94, 1.0)[:, None]  # cold tyres on an out-lap
        speed[~flying] = speed_profiles(
            car,
            curvature[~flying],
            step=track.step,
            grip=grip[~flying] * warm,
            brake=brake[~flying] * warm,
            throttle=throttle[~flying],
            start_speed=starts,
            cap=cap,
        )
    ahead = np.concatenate([speed[:, 1:], speed[:, :1]], axis=1)
    ahead[~flying, -1] = speed[~flying, -1]
    dt = track.step / ((speed + ahead) / 2)
    elapsed = np.concatenate([np.zeros((count, 1)), np.cumsum(dt, axis=1)], axis=1)
    lateral = speed * speed * np.abs(curvature)
    grip_use = np.clip(lateral / car.grip(speed), 0.0, 1.0)
    return [
        LapPlan(
            kind=kinds[i],
            speed=speed[i],
            elapsed=elapsed[i],
            curvature=curvature[i],
            offset=offset[i],
            grip_use=grip_use[i],
            dirt=dirt[i],
            pit_until_m=float(pit_until[i]),
            cuts=int(cuts[i]),
            mistakes=tuple(mistakes[i]),
        )
        for i in range(count)
    ]
