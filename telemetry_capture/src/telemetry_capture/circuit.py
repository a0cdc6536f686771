"""A synthetic circuit and a car driving it, shared by the fake game and the fake server.

The track is a closed curve; a speed profile is computed from its curvature (grip
limit, then acceleration and braking passes), so speed, gear, rpm, pedals, steering,
coordinates and normalised position all agree with each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CarState", "Circuit", "DrivenCar"]

G = 9.81
GEAR_TOP_KMH = (55.0, 85.0, 115.0, 145.0, 178.0, 215.0)
REDLINE = 7800.0
IDLE = 1100.0


@dataclass(frozen=True)
class CarState:
    """Everything the simulators publish about a car at one instant."""

    distance_m: float
    normalized_pos: float
    speed_ms: float
    accel_ms2: float
    x: float
    y: float
    z: float
    heading: tuple[float, float, float]
    gear: int  # AC convention: 0 = R, 1 = N, 2 = 1st
    rpm: float
    gas: float
    brake: float
    steer_deg: float
    lateral_g: float


class Circuit:
    """A closed synthetic track of ``length_m`` metres, sampled every metre or so."""

    def __init__(
        self, *, length_m: float = 600.0, top_speed_kmh: float = 205.0, grip_g: float = 2.2
    ) -> None:
        theta = np.linspace(0.0, 2 * math.pi, 4001)[:-1]
        x = np.cos(theta) + 0.2 * np.cos(2 * theta) - 0.05 * np.sin(3 * theta)
        z = 0.6 * np.sin(theta) + 0.15 * np.sin(2 * theta)
        seg = np.hypot(np.diff(x, append=x[:1]), np.diff(z, append=z[:1]))
        scale = length_m / seg.sum()
        self.x, self.z = x * scale, z * scale
        self.y = 3.0 * np.sin(theta) + 1.5 * np.cos(2 * theta)
        self.seg = seg * scale
        self.s = np.concatenate(([0.0], np.cumsum(self.seg)[:-1]))
        self.length = float(self.seg.sum())
        dx = np.gradient(self.x)
        dz = np.gradient(self.z)
        ddx, ddz = np.gradient(dx), np.gradient(dz)
        self.curvature = (dx * ddz - dz * ddx) / np.power(dx * dx + dz * dz, 1.5)
        heading = np.stack([dx, np.gradient(self.y), dz], axis=1)
        self.heading = heading / np.linalg.norm(heading, axis=1, keepdims=True)
        self.speed = self._speed_profile(top_speed_kmh / 3.6, grip_g)
        self.accel = self.speed * np.gradient(self.speed, self.s)
        dt = self.seg / ((self.speed + np.roll(self.speed, -1)) / 2)
        self.t = np.concatenate(([0.0], np.cumsum(dt)[:-1]))
        self.lap_time = float(dt.sum())

    def _speed_profile(self, vmax: float, grip_g: float) -> np.ndarray:
        limit = np.minimum(vmax, np.sqrt(grip_g * G / np.maximum(np.abs(self.curvature), 1e-6)))
        v = limit.copy()
        n = len(v)
        for _ in range(2):  # two turns around the loop settle the wrap-around
            for i in range(n):  # acceleration pass: traction fades with speed
                j = (i + 1) % n
                acc = 9.0 * max(0.15, 1 - v[i] / (vmax * 1.1))
                v[j] = min(v[j], math.sqrt(v[i] ** 2 + 2 * acc * self.seg[i]))
            for i in range(n - 1, -1, -1):  # braking pass
                j = (i + 1) % n
                v[i] = min(v[i], math.sqrt(v[j] ** 2 + 2 * 13.0 * self.seg[i]))
        return v

    def state_at(self, distance_m: float, *, pace: float = 1.0) -> CarState:
        """The car's state at ``distance_m`` along the lap, driven at ``pace`` x the profile."""
        s = distance_m % self.length
        i = int(np.searchsorted(self.s, s, side="right") - 1)
        j = (i + 1) % len(self.s)
        f = (s - self.s[i]) / self.seg[i]

        def lerp(a: np.ndarray) -> float:
            return float(a[i] + (a[j] - a[i]) * f)

        v = lerp(self.speed) * pace
        accel = lerp(self.accel) * pace * pace
        kappa = lerp(self.curvature)
        kmh = v * 3.6
        gear_index = next(
            (k for k, top in enumerate(GEAR_TOP_KMH) if kmh <= top * 0.97), len(GEAR_TOP_KMH) - 1
        )
        rpm = max(IDLE + 900, min(REDLINE, REDLINE * kmh / GEAR_TOP_KMH[gear_index]))
        if accel > 0.3:
            gas, brake = min(1.0, 0.55 + accel / 9.0), 0.0
        elif accel < -0.5:
            gas, brake = 0.0, min(1.0, -accel / 13.0)
        else:
            gas, brake = 0.35 + 0.3 * (v / self.speed.max()), 0.0
        heading = self.heading[i]
        return CarState(
            distance_m=s,
            normalized_pos=s / self.length,
            speed_ms=v,
            accel_ms2=accel,
            x=lerp(self.x),
            y=lerp(self.y),
            z=lerp(self.z),
            heading=(float(heading[0]), float(heading[1]), float(heading[2])),
            gear=gear_index + 2,
            rpm=rpm,
            gas=gas,
            brake=brake,
            steer_deg=math.degrees(math.atan(2.6 * kappa)) * 13.0,
            lateral_g=v * v * kappa / G,
        )

    def distance_at(self, lap_seconds: float, *, pace: float = 1.0) -> float:
        """Distance along the lap after ``lap_seconds`` at ``pace``."""
        t = (lap_seconds * pace) % self.lap_time
        return float(np.interp(t, self.t, self.s))


@dataclass
class DrivenCar:
    """A car lapping a circuit; laps complete when the line is crossed.

    ``pace`` scales the whole speed profile (1.0 = the profile's lap time); each lap
    gets a small random variation so lap times differ. The car waits on the line for
    ``start_delay`` seconds (a staggered start).
    """

    circuit: Circuit
    pace: float = 1.0
    start_delay: float = 0.0
    seed: int = 0
    lap_count: int = 0
    lap_started: float = 0.0
    last_lap_ms: int = 0
    best_lap_ms: int = 0
    lap_pace: float = 1.0
    rng: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        self._new_lap_pace()

    def _new_lap_pace(self) -> None:
        self.lap_pace = float(self.rng.normal(1.0, 0.012))

    @property
    def current_pace(self) -> float:
        return self.pace * self.lap_pace

    @property
    def lap_duration(self) -> float:
        return self.circuit.lap_time / self.current_pace

    def advance(self, now: float) -> list[int]:
        """Move to time ``now`` (seconds since session start); return completed lap times (ms)."""
        done: list[int] = []
        while now - self.start_delay - self.lap_started >= self.lap_duration:
            lap_ms = round(self.lap_duration * 1000)
            self.lap_started += self.lap_duration
            self.lap_count += 1
            self.last_lap_ms = lap_ms
            self.best_lap_ms = lap_ms if not self.best_lap_ms else min(self.best_lap_ms, lap_ms)
            done.append(lap_ms)
            self._new_lap_pace()
        return done

    def lap_elapsed(self, now: float) -> float:
        return max(0.0, now - self.start_delay - self.lap_started)

    def state(self, now: float) -> CarState:
        elapsed = self.lap_elapsed(now)
        distance = self.circuit.distance_at(elapsed, pace=self.current_pace)
        return self.circuit.state_at(distance, pace=self.current_pace)
