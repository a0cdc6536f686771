"""A GT3 car on a race line: speed profiles by the forward-backward pass, and its channels.

The speed profile is the usual quasi-steady lap simulation: the cornering limit of each point
(grip grows with downforce), then a forward pass (power, traction and drag limit the
acceleration) and a backward pass (braking), both inside the friction ellipse. Every array op
is numpy and works on several laps at once (shape ``(laps, points)``); only the two passes
step along the line in Python, once for all laps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GT3", "CarSpec", "drive_limits", "gear_for", "speed_profiles"]

G = 9.81
AIR = 1.2


@dataclass(frozen=True)
class CarSpec:
    """A car's few numbers the lap model needs (SI units)."""

    mass_kg: float = 1350.0
    power_w: float = 350e3  # at the wheels
    drag_area_m2: float = 1.25  # Cd * A
    lift_area_m2: float = 2.8  # Cl * A (downforce)
    rolling_n: float = 220.0
    mu: float = 1.68  # peak tyre friction
    brake_share: float = 0.82  # of the tyres' grip the brakes and ABS turn into deceleration
    traction: float = 0.62  # share of the weight on the driven (rear) wheels, with transfer
    front_weight: float = 0.46
    aero_front: float = 0.42
    cg_height_m: float = 0.38
    wheelbase_m: float = 2.65
    track_m: float = 1.68
    steering_ratio: float = 13.0
    understeer_rad_per_g: float = 0.012
    gear_top_kmh: tuple[float, ...] = (112.0, 148.0, 181.0, 214.0, 247.0, 292.0)
    redline_rpm: float = 8000.0
    idle_rpm: float = 2200.0
    tyre_radius_m: tuple[float, float] = (0.340, 0.355)  # front, rear
    camber_rad: tuple[float, float] = (-0.066, -0.047)
    wheel_rate_n_m: tuple[float, float] = (150e3, 170e3)
    tyre_rate_n_m: float = 330e3

    @property
    def downforce_k(self) -> float:
        """Downforce per (m/s)^2, N."""
        return 0.5 * AIR * self.lift_area_m2

    @property
    def drag_k(self) -> float:
        return 0.5 * AIR * self.drag_area_m2

    def resistance(self, v: np.ndarray) -> np.ndarray:
        """Deceleration from drag and rolling resistance, m/s^2."""
        return (self.drag_k * v * v + self.rolling_n) / self.mass_kg

    def grip(self, v: np.ndarray) -> np.ndarray:
        """Peak acceleration the tyres can give at speed ``v`` (weight plus downforce), m/s^2."""
        return self.mu * (G + self.downforce_k * v * v / self.mass_kg)

    def drive(self, v: np.ndarray) -> np.ndarray:
        """Forward acceleration the engine and the driven wheels can give, before drag, m/s^2."""
        power = self.power_w / (self.mass_kg * np.maximum(v, 1.0))
        traction = self.mu * self.traction * (G + self.downforce_k * v * v / self.mass_kg)
        return np.minimum(power, traction)


GT3 = CarSpec()


def drive_limits(
    car: CarSpec,
    curvature: np.ndarray,
    *,
    grip: np.ndarray,
    vmax: float = 95.0,
) -> np.ndarray:
    """The cornering speed limit (m/s) at each point for a driver using ``grip`` x the tyres'
    lateral limit: v^2 |k| = grip * mu (g + k_df v^2 / m), solved for v."""
    k = np.abs(curvature)
    denominator = k - grip * car.mu * car.downforce_k / car.mass_kg
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.sqrt(grip * car.mu * G / denominator)
    return np.where(denominator > 0, np.minimum(v, vmax), vmax)


def _ellipse(lateral: np.ndarray, limit: np.ndarray) -> np.ndarray:
    return np.sqrt(np.clip(1.0 - (lateral / limit) ** 2, 0.0, 1.0))


def speed_profiles(
    car: CarSpec,
    curvature: np.ndarray,
    *,
    step: float,
    grip: np.ndarray,
    brake: np.ndarray,
    throttle: np.ndarray,
    start_speed: np.ndarray | None = None,
    cap: np.ndarray | None = None,
) -> np.ndarray:
    """Speed (m/s) at every point of every lap.

    Args:
        car: the car.
        curvature: (laps, n) path curvature of each lap, 1/m.
        step: metres between points.
        grip: (laps, n) share of the tyres' lateral grip the driver uses (~0.95-1.0).
        brake: (laps, n) share of the braking grip used (lower = brakes earlier).
        throttle: (laps, n) share of the drive used on exits.
        start_speed: (laps,) speed at point 0 for a lap that does not continue a flying one
            (a standing start is 0); None = flying laps (the line is passed at speed).
        cap: (laps, n) an extra speed cap (pit lane limit), or None.

    A flying lap is closed: the passes start at its slowest corner, where the speed is known.
    """
    laps, n = curvature.shape
    limit = drive_limits(car, curvature, grip=grip)
    if cap is not None:
        limit = np.minimum(limit, cap)
    lateral_limit = grip * car.grip(limit)
    rows = np.arange(laps)
    if start_speed is None:
        shift = np.argmin(limit, axis=1)  # each lap rolled so that its slowest point is first
    else:
        shift = np.zeros(laps, dtype=np.int64)
        limit[:, 0] = np.minimum(limit[:, 0], start_speed)
    order = (np.arange(n)[None, :] + shift[:, None]) % n
    lim = limit[rows[:, None], order]
    kap = np.abs(curvature[rows[:, None], order])
    brk = brake[rows[:, None], order]
    thr = throttle[rows[:, None], order]
    latlim = lateral_limit[rows[:, None], order]
    v = lim.copy()
    two_ds = 2.0 * step
    for i in range(n - 1):  # forward: accelerate as far as power, traction and grip allow
        vi = v[:, i]
        room = _ellipse(vi * vi * kap[:, i], latlim[:, i])
        accel = thr[:, i] * car.drive(vi) * room - car.resistance(vi)
        v[:, i + 1] = np.minimum(v[:, i + 1], np.sqrt(np.maximum(vi * vi + two_ds * accel, 1.0)))
    # an open lap (standing start, out-lap) ends at whatever speed its last point allows
    nxt = v[:, 0].copy() if start_speed is None else v[:, -1].copy()
    for i in range(n - 1 if start_speed is None else n - 2, -1, -1):  # backward: brake late
        room = _ellipse(nxt * nxt * kap[:, i], latlim[:, i])
        decel = brk[:, i] * car.brake_share * car.grip(nxt) * room + car.resistance(nxt)
        v[:, i] = np.minimum(v[:, i], np.sqrt(nxt * nxt + two_ds * decel))
        nxt = v[:, i]
    out = np.empty_like(v)
    out[rows[:, None], order] = v
    return out


def gear_for(car: CarSpec, kmh: np.ndarray) -> np.ndarray:
    """The gear (1 = first) a driver holds at each speed: up-shifts near the redline."""
    tops = np.asarray(car.gear_top_kmh)
    index = np.searchsorted(tops * 0.985, kmh, side="left")
    return np.minimum(index, len(tops) - 1) + 1
