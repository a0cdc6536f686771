"""What a car's sensors read along a planned lap: every RTCarInfo channel, vectorised.

:func:`lap_channels` takes distances along one :class:`~driving.LapPlan` and returns numpy
arrays named after the Remote Telemetry fields (reference A.4), per-wheel ones with shape
``(samples, 4)`` in the order FL, FR, RL, RR. Signs: lateral values are > 0 towards the
left (a left-hand bend); ``acc_g_frontal`` > 0 accelerating.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telemetry_capture.driving import LapPlan
from telemetry_capture.physics import CarSpec, G, gear_for
from telemetry_capture.track import Track

__all__ = ["LapPoints", "lap_channels", "lap_points", "pedals", "position_channels"]

ENGINE_BRAKING = 0.8  # m/s^2 of deceleration with the throttle closed, before any brake
SLIP_PEAK = 0.08  # slip ratio at peak grip
SLIP_ANGLE_PEAK = (6.5, 5.5)  # degrees at peak grip, front and rear
TOE_DEG = np.array([0.10, -0.10, 0.15, -0.15])
LEFT = np.array([1.0, -1.0, 1.0, -1.0])  # +1 for the left wheels
FRONT = np.array([True, True, False, False])


def _smooth(values: np.ndarray, points: int) -> np.ndarray:
    if points < 2:
        return values
    kernel = np.ones(points) / points
    padded = np.pad(values, (points // 2, points - 1 - points // 2), mode="edge")
    return np.convolve(padded, kernel, mode="valid")


@dataclass(frozen=True)
class LapPoints:
    """Per-point values of a lap derived from its speed profile (computed once per lap)."""

    accel: np.ndarray  # longitudinal, m/s^2
    need: np.ndarray  # net acceleration the driver asks of the car (drive > 0, brakes < 0)


def lap_points(car: CarSpec, plan: LapPlan, *, step: float) -> LapPoints:
    """The acceleration of each point of a lap, and what the driver's feet ask for there: the
    profile's acceleration plus drag, smoothed over ~6 m (how fast a foot moves at speed)."""
    v = plan.speed
    ahead = np.append(v[1:], v[0] if plan.kind == "flying" else v[-1])
    accel = (ahead * ahead - v * v) / (2 * step)
    need = _smooth(accel + car.resistance(v), max(1, round(6.0 / step)))
    return LapPoints(accel=accel, need=need)


def pedals(car: CarSpec, need: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Throttle and brake (0..1) for a net need: drive, or braking beyond the engine braking;
    never both at once."""
    throttle = np.clip(need / (0.95 * car.drive(v)), 0.0, 1.0)
    brake = np.clip((-need - ENGINE_BRAKING) / (car.brake_share * car.grip(v)), 0.0, 1.0)
    throttle = np.where(v < 0.5, 0.35, throttle)  # a standing start waits on part throttle
    return throttle, np.where((need > 0) | (v < 0.5), 0.0, brake)


def _engine(car: CarSpec, kmh: np.ndarray, *, launching: np.ndarray) -> tuple[np.ndarray, ...]:
    gear = gear_for(car, kmh)
    tops = np.asarray(car.gear_top_kmh)
    rpm = np.clip(car.redline_rpm * kmh / tops[gear - 1], car.idle_rpm, car.redline_rpm)
    return gear, np.where(launching, np.maximum(rpm, 5200.0), rpm)


def position_channels(
    car: CarSpec, track: Track, plan: LapPlan, distance: np.ndarray
) -> dict[str, np.ndarray]:
    """What the server's CAR_UPDATE carries at ``distance`` along ``plan`` (cheap)."""
    where = track.locate(distance)
    v = track.sample(plan.speed, where)
    offset = track.sample(plan.offset, where)
    kmh = v * 3.6
    gear, rpm = _engine(car, kmh, launching=(plan.kind == "standing") & (kmh < 45))
    nx, nz = track.normal(where)
    dx, dz = track.direction
    return {
        "speed_ms": v,
        "gear": gear + 1,  # AC: 0 = R, 1 = N, 2 = first
        "engine_rpm": rpm,
        "car_position_normalized": np.mod(distance, track.length) / track.length,
        "car_coordinates": np.column_stack(
            [
                track.sample(track.x, where) + nx * offset,
                track.sample(track.y, where),
                track.sample(track.z, where) + nz * offset,
            ]
        ),
        "velocity": np.column_stack(
            [
                v * track.sample(dx, where),
                v * track.sample(track.slope, where),
                v * track.sample(dz, where),
            ]
        ),
    }


def lap_channels(
    car: CarSpec,
    track: Track,
    plan: LapPlan,
    distance: np.ndarray,
    *,
    points: LapPoints | None = None,
) -> dict[str, np.ndarray]:
    """Every RTCarInfo channel at ``distance`` (metres since the line) along ``plan``."""
    points = points or lap_points(car, plan, step=track.step)
    where = track.locate(distance)
    v = track.sample(plan.speed, where)
    ax = track.sample(points.accel, where)
    kappa = track.sample(plan.curvature, where)
    ay = v * v * kappa
    gas, brake = pedals(car, track.sample(points.need, where), v)
    offset = track.sample(plan.offset, where)
    grip_use = track.sample(plan.grip_use, where)
    dirt = track.sample(plan.dirt, where)
    m = len(distance)

    kmh = v * 3.6
    launching = (plan.kind == "standing") & (kmh < 45)
    gear, rpm = _engine(car, kmh, launching=launching)
    clutch = np.where(launching, np.clip(kmh / 45, 0.0, 1.0), 1.0)

    # tyre loads: static weight, downforce, longitudinal and lateral load transfer
    weight = car.mass_kg * G
    downforce = car.downforce_k * v * v
    static = np.array([car.front_weight] * 2 + [1 - car.front_weight] * 2) * weight / 2
    aero = np.array([car.aero_front] * 2 + [1 - car.aero_front] * 2) / 2
    pitch = car.mass_kg * ax * car.cg_height_m / car.wheelbase_m / 2
    roll = car.mass_kg * ay * car.cg_height_m / car.track_m
    roll_share = np.array([0.5, 0.5, 0.5, 0.5])
    edge = np.where(
        offset > 0, track.sample(track.width_left, where), track.sample(track.width_right, where)
    )
    kerb = np.abs(offset) > edge
    bumps = 0.02 * np.sin(distance * 1.7) + 0.015 * np.sin(distance * 5.3 + 1.0)
    bumps = bumps + np.where(kerb, 0.25 * np.sin(distance * 9.0), 0.0)
    load = (
        static[None, :]
        + downforce[:, None] * aero[None, :]
        + pitch[:, None] * np.where(FRONT, -1.0, 1.0)[None, :]
        - roll[:, None] * roll_share[None, :] * LEFT[None, :]
    )
    load = np.maximum(load * (1 + bumps[:, None]), 0.0)

    # slip: lateral from the grip in use, longitudinal from drive and braking
    alpha_peak = np.where(FRONT, SLIP_ANGLE_PEAK[0], SLIP_ANGLE_PEAK[1])
    balance = np.where(FRONT, 1.05, 0.95)  # a little understeer
    slip_angle = (
        np.sign(kappa)[:, None] * grip_use[:, None] * (alpha_peak * balance)[None, :]
        + TOE_DEG[None, :]
    )
    traction = car.mu * car.traction * (G + car.downforce_k * v * v / car.mass_kg)
    drive_use = np.clip(gas * car.drive(v) / traction, 0.0, 1.0)
    brake_use = np.clip(brake, 0.0, 1.0)
    lockup = np.zeros(m, dtype=bool)
    for at in plan.mistakes:  # the mistake starts with a locked front wheel into the corner
        lockup |= (distance > at - 90) & (distance < at - 30) & (brake > 0.3)
    slip_ratio = np.where(FRONT, -0.0005, 0.01)[None, :] + np.where(
        FRONT[None, :], 0.0, SLIP_PEAK * drive_use[:, None]
    )
    slip_ratio = slip_ratio - SLIP_PEAK * brake_use[:, None] * np.where(FRONT, 1.1, 0.9)[None, :]
    slip_ratio[:, 0] = np.where(lockup, -0.3, slip_ratio[:, 0])
    nd_slip = np.hypot(slip_angle / alpha_peak[None, :], slip_ratio / SLIP_PEAK)

    radius = np.where(FRONT, car.tyre_radius_m[0], car.tyre_radius_m[1])
    loaded_radius = radius[None, :] - load / car.tyre_rate_n_m
    side_speed = v[:, None] * (1 - kappa[:, None] * LEFT[None, :] * car.track_m / 2)
    wheel_speed = side_speed * (1 + slip_ratio) / loaded_radius
    camber = np.where(FRONT, car.camber_rad[0], car.camber_rad[1])[None, :] + (
        np.radians(0.6) * (ay / G)[:, None] * LEFT[None, :]
    )
    dy = car.mu * (1.06 - 0.03 * load / 1000)
    mz = 0.012 * load * np.sin(2 * np.arctan(slip_angle / 4.0)) * np.where(FRONT, 1.0, 0.6)
    wheel_rate = np.where(FRONT, car.wheel_rate_n_m[0], car.wheel_rate_n_m[1])

    steer_rad = np.arctan(car.wheelbase_m * kappa) + car.understeer_rad_per_g * ay / G
    positions = position_channels(car, track, plan, distance)
    return {
        **positions,
        "speed_kmh": kmh,
        "speed_mph": v * 2.2369363,
        "is_abs_enabled": np.ones(m, dtype=np.uint8),
        "is_abs_in_action": ((brake_use > 0.97) | lockup).astype(np.uint8),
        "is_tc_enabled": np.ones(m, dtype=np.uint8),
        "is_tc_in_action": ((drive_use > 0.9) & (gear <= 3)).astype(np.uint8),
        "is_in_pit": (distance < plan.pit_until_m).astype(np.uint8),
        "is_engine_limiter_on": ((rpm >= car.redline_rpm * 0.995) & (gas > 0.9)).astype(np.uint8),
        "acc_g_vertical": v * v * track.sample(track.crest, distance) / G + bumps,
        "acc_g_horizontal": ay / G,
        "acc_g_frontal": ax / G,
        "gas": gas,
        "brake": brake,
        "clutch": clutch,
        "steer": np.degrees(steer_rad) * car.steering_ratio,
        "cg_height": car.cg_height_m - 0.01 * (v / 70) ** 2,
        "wheel_angular_speed": wheel_speed,
        "slip_angle": slip_angle,
        "slip_ratio": slip_ratio,
        "nd_slip": nd_slip,
        "load": load,
        "dy": dy,
        "mz": mz,
        "tyre_dirty_level": np.repeat(dirt[:, None], 4, axis=1),
        "camber_rad": camber,
        "tyre_radius": np.repeat(radius[None, :], m, axis=0),
        "tyre_loaded_radius": loaded_radius,
        "suspension_height": load / wheel_rate[None, :],
    }
