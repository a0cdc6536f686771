"""A fake Assetto Corsa game serving Remote Telemetry on UDP (default port 9996).

It answers handshakes (408-byte response, ``%``-terminated names with garbage after),
streams RTCarInfo at 333 Hz to update subscribers for one car lapping the synthetic
circuit, sends RTLap to spot subscribers when a lap completes, and honours dismiss.
``time_scale`` > 1 compresses simulated time (laps go faster than wall-clock).
"""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from dataclasses import dataclass, field

from telemetry_capture.circuit import Circuit, DrivenCar
from telemetry_capture.game_protocol import (
    OP_DISMISS,
    OP_HANDSHAKE,
    OP_SUBSCRIBE_SPOT,
    OP_SUBSCRIBE_UPDATE,
    decode_handshaker,
    encode_handshake_response,
    encode_rt_car_info,
    encode_rt_lap,
)
from telemetry_capture.wire import ProtocolError

__all__ = ["FakeGame", "GameSetup"]

log = logging.getLogger(__name__)
Addr = tuple[str, int]
GARBAGE = b"\x1c\x00\xfb\x3b\xb0\xf0\x10\x03"


@dataclass
class GameSetup:
    car_name: str = "ks_ferrari_488_gt3"
    driver_name: str = "Sim Driver"
    track_name: str = "pitwall_ring"
    rate_hz: float = 333.0
    time_scale: float = 1.0
    pace: float = 1.0
    seed: int = 7


@dataclass
class GameCounters:
    handshakes: int = 0
    updates_sent: int = 0
    laps_sent: int = 0
    laps: list[int] = field(default_factory=list)  # every lap completed
    sent_laps: list[int] = field(default_factory=list)  # laps sent to a spot subscriber


class FakeGame:
    """Serve one car's telemetry on ``bind`` until ``stop()``."""

    def __init__(self, *, bind: Addr = ("127.0.0.1", 9996), setup: GameSetup | None = None) -> None:
        self.setup = setup or GameSetup()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(bind)
        self.sock.setblocking(False)
        self.address: Addr = self.sock.getsockname()
        self.update_subscribers: set[Addr] = set()
        self.spot_subscribers: set[Addr] = set()
        self.counters = GameCounters()
        self.car = DrivenCar(Circuit(), pace=self.setup.pace, seed=self.setup.seed)
        self.stop_event = threading.Event()
        self._response = encode_handshake_response(
            car_name=self.setup.car_name,
            driver_name=self.setup.driver_name,
            track_name=self.setup.track_name,
            track_config=self.setup.track_name,  # the real game repeats the track name (A.3)
            filler=GARBAGE,
        )

    def stop(self) -> None:
        self.stop_event.set()

    def _serve_requests(self) -> None:
        while True:
            try:
                data, addr = self.sock.recvfrom(2048)
            except (BlockingIOError, InterruptedError, ConnectionError):
                return
            try:
                op = decode_handshaker(data)["operation_id"]
            except ProtocolError:
                log.debug("ignored %d bytes from %s", len(data), addr)
                continue
            if op == OP_HANDSHAKE:
                self.counters.handshakes += 1
                self._send(self._response, addr)
            elif op == OP_SUBSCRIBE_UPDATE:
                self.update_subscribers.add(addr)
            elif op == OP_SUBSCRIBE_SPOT:
                self.spot_subscribers.add(addr)
            elif op == OP_DISMISS:
                self.update_subscribers.discard(addr)
                self.spot_subscribers.discard(addr)

    def _send(self, data: bytes, addr: Addr) -> bool:
        try:
            self.sock.sendto(data, addr)
        except OSError:  # subscriber went away (ICMP refused): forget it
            self.update_subscribers.discard(addr)
            self.spot_subscribers.discard(addr)
            return False
        return True

    def car_info(self, sim_t: float) -> bytes:
        car = self.car
        st = car.state(sim_t)
        v = st.speed_ms
        radius = 0.33
        spin = v / radius
        load = [
            3400.0 - 700 * st.lateral_g,
            3400.0 + 700 * st.lateral_g,
            3900.0 - 700 * st.lateral_g,
            3900.0 + 700 * st.lateral_g,
        ]
        return encode_rt_car_info(
            {
                "speed_kmh": v * 3.6,
                "speed_mph": v * 2.2369363,
                "speed_ms": v,
                "is_abs_enabled": 1,
                "is_abs_in_action": int(st.brake > 0.9),
                "is_tc_enabled": 1,
                "is_tc_in_action": int(st.gas > 0.95 and st.gear <= 3),
                "is_in_pit": 0,
                "is_engine_limiter_on": int(st.rpm >= 7790),
                "acc_g_vertical": 0.02 * math.sin(sim_t * 7),
                "acc_g_horizontal": st.lateral_g,
                "acc_g_frontal": st.accel_ms2 / 9.81,
                "lap_time": round(car.lap_elapsed(sim_t) * 1000),
                "last_lap": car.last_lap_ms,
                "best_lap": car.best_lap_ms,
                "lap_count": car.lap_count,
                "gas": st.gas,
                "brake": st.brake,
                "clutch": 1.0,
                "engine_rpm": st.rpm,
                "steer": st.steer_deg,
                "gear": st.gear,
                "cg_height": 0.46,
                "wheel_angular_speed": [spin] * 4,
                "slip_angle": [0.5 * st.lateral_g] * 4,
                "slip_ratio": [0.01 * st.gas - 0.02 * st.brake] * 4,
                "nd_slip": [abs(st.lateral_g) / 2.5] * 4,
                "load": load,
                "dy": [1.35] * 4,
                "mz": [
                    2.0 * st.lateral_g,
                    2.0 * st.lateral_g,
                    1.0 * st.lateral_g,
                    1.0 * st.lateral_g,
                ],
                "camber_rad": [-0.06, -0.06, -0.04, -0.04],
                "tyre_radius": [radius] * 4,
                "tyre_loaded_radius": [radius - 0.01] * 4,
                "suspension_height": [0.03] * 4,
                "car_position_normalized": st.normalized_pos,
                "car_coordinates": [st.x, st.y, st.z],
            }
        )

    def run(self, *, duration: float | None = None) -> GameCounters:
        """Serve until stopped (or ``duration`` wall-clock seconds)."""
        setup = self.setup
        period = 1.0 / setup.rate_hz
        start = time.monotonic()
        tick = 0
        try:
            while not self.stop_event.is_set():
                now = time.monotonic()
                if duration is not None and now - start >= duration:
                    break
                self._serve_requests()
                due = start + tick * period
                if now < due:
                    time.sleep(min(due - now, 0.05))
                    continue
                tick += 1
                sim_t = (due - start) * setup.time_scale
                for lap_ms in self.car.advance(sim_t):
                    self.counters.laps.append(lap_ms)
                    lap = encode_rt_lap(
                        car_identifier_number=0,
                        lap=self.car.lap_count - 1,
                        driver_name=setup.driver_name,
                        car_name=setup.car_name,
                        time=lap_ms,
                        filler=GARBAGE,
                    )
                    for addr in list(self.spot_subscribers):
                        if self._send(lap, addr):
                            self.counters.laps_sent += 1
                            self.counters.sent_laps.append(lap_ms)
                if self.update_subscribers:
                    packet = self.car_info(sim_t)
                    for addr in list(self.update_subscribers):
                        self.counters.updates_sent += self._send(packet, addr)
        finally:
            self.sock.close()
        return self.counters
