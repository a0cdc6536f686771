"""A fake acServer speaking the UDP plugin protocol, with N cars on the synthetic circuit.

It sends VERSION and NEW_SESSION at start, NEW_CONNECTION then CLIENT_LOADED per car,
CAR_UPDATE for every loaded car at the interval the plugin requested (off until asked),
LAP_COMPLETED with a leaderboard following the reference's rules (B.4), car-to-car
collisions (twice, ids swapped) and environment collisions, END_SESSION then the next
NEW_SESSION, and CONNECTION_CLOSED at the end. It honours every plugin request (B.5).
"""

from __future__ import annotations

import logging
import math
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from telemetry_capture.circuit import Circuit, DrivenCar
from telemetry_capture.server_protocol import NO_TIME, decode_request, encode_server_message
from telemetry_capture.wire import ProtocolError

__all__ = ["DriverChange", "FakeServer", "ServerSetup", "SessionSpec", "compute_leaderboard"]

log = logging.getLogger(__name__)
Addr = tuple[str, int]
PROTOCOL_VERSION = 4
MODELS = (
    "ks_ferrari_488_gt3",
    "ks_lamborghini_huracan_gt3",
    "ks_mclaren_650_gt3",
    "ks_audi_r8_lms",
    "ks_nissan_gtr_gt3",
    "ks_mercedes_amg_gt3",
)
NAMES = (
    "Ayrton Vale",
    "Mika Halden",
    "Nico Brandt",
    "Lena Voss",
    "Tomas Ruiz",
    "Kimi Aalto",
    "Sara Lind",
    "Jon Petit",
)
TYPE_NAMES = {1: "PRACTICE", 2: "QUALIFY", 3: "RACE"}


@dataclass
class SessionSpec:
    """One session of the server's cycle; ``seconds`` is its simulated length."""

    name: str = "Race"
    type: int = 3
    seconds: float = 60.0
    laps: int = 0
    wait_time_s: int = 0


@dataclass(frozen=True)
class DriverChange:
    """A car slot changing hands ``at_s`` simulated seconds after the server starts: the
    driver leaves (CONNECTION_CLOSED), the new one joins (NEW_CONNECTION, CLIENT_LOADED) and
    the server restarts the car's lap count, as acServer does."""

    car_id: int
    at_s: float
    driver_name: str
    driver_guid: str = "76561198000999999"

    @classmethod
    def parse(cls, text: str) -> DriverChange:
        """``car:seconds:name[:guid]``, e.g. ``2:30:Jo Bloggs``."""
        car, seconds, name, *guid = text.split(":")
        return cls(int(car), float(seconds), name, *guid)


@dataclass
class ServerSetup:
    cars: int = 6
    empty_slots: int = 2
    sessions: list[SessionSpec] = field(default_factory=lambda: [SessionSpec()])
    server_name: str = "Pitwall Test Server"
    track: str = "pitwall_ring"
    track_config: str = "gp"
    time_scale: float = 1.0
    collision_rate: float = 0.3  # per simulated second, whole field
    cut_probability: float = 0.12
    seed: int = 11
    narrow_end_session: bool = False  # AssettoServer variant
    wide_weather: bool = False  # AssettoServer variant
    driver_changes: list[DriverChange] = field(default_factory=list)


@dataclass
class _Car:
    car_id: int
    driver_name: str
    driver_guid: str
    car_model: str
    car_skin: str
    driven: DrivenCar
    connected: bool = False
    loaded: bool = False
    laps: list[tuple[int, int]] = field(default_factory=list)  # (lap_time ms, cuts)
    finished: bool = False


def compute_leaderboard(
    laps_by_car: dict[int, list[tuple[int, int]]],
    *,
    slots: int,
    session_type: int,
    finished: set[int],
) -> list[dict[str, Any]]:
    """The LAP_COMPLETED leaderboard: one entry per slot, sorted by standing (reference B.4).

    Practice/qualify: ``time`` = best cut-free lap (999999999 = none), ``laps`` = cut-free laps.
    Race: ``time`` = cumulative time of completed laps (0 = none), ``laps`` = completed laps,
    sorted by laps (desc) then time.
    """
    entries = []
    for car_id in range(slots):
        laps = laps_by_car.get(car_id, [])
        if session_type == 3:
            entry = {"car_id": car_id, "time": sum(t for t, _ in laps), "laps": len(laps)}
        else:
            valid = [t for t, cuts in laps if cuts == 0]
            entry = {"car_id": car_id, "time": min(valid) if valid else NO_TIME, "laps": len(valid)}
        entry["has_completed"] = car_id in finished
        entries.append(entry)
    if session_type == 3:
        entries.sort(key=lambda e: (-e["laps"], e["time"] if e["laps"] else math.inf, e["car_id"]))
    else:
        entries.sort(key=lambda e: (e["time"], e["car_id"]))
    return entries


@dataclass
class ServerCounters:
    sent: dict[str, int] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    chats_to_cars: list[tuple[int | None, str]] = field(default_factory=list)


class FakeServer:
    """Serve plugin messages to ``plugin`` from ``bind`` until the sessions end or ``stop()``."""

    def __init__(
        self, *, plugin: Addr, bind: Addr = ("127.0.0.1", 11000), setup: ServerSetup | None = None
    ) -> None:
        self.setup = setup or ServerSetup()
        self.plugin = plugin
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(bind)
        self.sock.setblocking(False)
        self.address: Addr = self.sock.getsockname()
        self.counters = ServerCounters()
        self.interval_ms = 0
        self.session_index = 0
        self.rng = np.random.default_rng(self.setup.seed)
        circuit = Circuit()
        self.cars = [
            _Car(
                car_id=i,
                driver_name=NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else f" {i}"),
                driver_guid=str(76561198000000000 + 1000 + i),
                car_model=MODELS[i % len(MODELS)],
                car_skin=f"{i:02d}_livery",
                driven=DrivenCar(
                    circuit, pace=1.0 + 0.015 * ((i * 7) % 5 - 2), start_delay=0.3 * i, seed=100 + i
                ),
            )
            for i in range(self.setup.cars)
        ]
        self.stop_event = threading.Event()
        self._session_start = 0.0  # simulated seconds
        self._flag_at: float | None = None
        self._next_update = 0.0
        self._sim = 0.0

    @property
    def slots(self) -> int:
        return self.setup.cars + self.setup.empty_slots

    @property
    def session(self) -> SessionSpec:
        return self.setup.sessions[self.session_index]

    def stop(self) -> None:
        self.stop_event.set()

    # -- output
    def send(self, kind: str, message: dict[str, Any]) -> None:
        try:
            self.sock.sendto(encode_server_message(kind, message), self.plugin)
        except OSError as exc:  # plugin not listening (ICMP refused): keep serving
            log.debug("send %s failed: %s", kind, exc)
        self.counters.sent[kind] = self.counters.sent.get(kind, 0) + 1

    def session_message(self, index: int) -> dict[str, Any]:
        spec = self.setup.sessions[index]
        elapsed = (
            round((self._sim - self._session_start) * 1000) if index == self.session_index else 0
        )
        return {
            "protocol_version": PROTOCOL_VERSION,
            "session_index": index,
            "current_session_index": self.session_index,
            "session_count": len(self.setup.sessions),
            "server_name": self.setup.server_name,
            "track": self.setup.track,
            "track_config": self.setup.track_config,
            "session_name": spec.name,
            "session_type": spec.type,
            "time": max(1, round(spec.seconds / 60)) if not spec.laps else 0,
            "laps": spec.laps,
            "wait_time": spec.wait_time_s * 1000,
            "ambient_temp": 24,
            "road_temp": 31,
            "weather_graphics": "3_clear",
            "wide_weather": self.setup.wide_weather,
            "elapsed_ms": elapsed,
        }

    def _connection(self, car: _Car) -> dict[str, Any]:
        return {
            "driver_name": car.driver_name,
            "driver_guid": car.driver_guid,
            "car_id": car.car_id,
            "car_model": car.car_model,
            "car_skin": car.car_skin,
        }

    # -- session flow
    def _start_session(self, index: int) -> None:
        self.session_index = index
        self._session_start = self._sim
        self._flag_at = None
        for car in self.cars:
            car.laps = []
            car.finished = False
            old = car.driven
            car.driven = DrivenCar(
                old.circuit, pace=old.pace, start_delay=old.start_delay, seed=old.seed + 1
            )
        self.send("new_session", self.session_message(index))

    def _end_session(self) -> None:
        stamp = datetime.now(UTC)
        path = f"results/{stamp:%Y_%m_%d_%H_%M}_{TYPE_NAMES.get(self.session.type, 'SESSION')}.json"
        self.send(
            "end_session", {"results_json_path": path, "narrow": self.setup.narrow_end_session}
        )

    def next_session(self, *, restart: bool = False) -> None:
        self._end_session()
        index = (
            self.session_index if restart else (self.session_index + 1) % len(self.setup.sessions)
        )
        self._start_session(index)

    # -- requests
    def out_of_bound(self, request: str, index: int) -> None:
        """The ERROR message acServer/AssettoServer send for a bad index."""
        self.send("error", {"message": f"ERROR: {request} index {index} out of bound"})

    def _serve_requests(self) -> None:
        while True:
            try:
                data, _addr = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError, ConnectionError):
                return
            try:
                name, args = decode_request(data)
            except ProtocolError as exc:
                self.send("error", {"message": f"ERROR: bad request ({exc})"})
                continue
            self.counters.requests.append((name, args))
            self.handle_request(name, args)

    def handle_request(self, name: str, args: dict[str, Any]) -> None:
        match name:
            case "realtimepos_interval":
                self.interval_ms = args["interval_ms"]
                self._next_update = self._sim
            case "get_car_info":
                car = self._car(args["car_id"])
                if car is None:
                    self.out_of_bound("ACSP_GET_CAR_INFO", args["car_id"])
                else:
                    self.send(
                        "car_info",
                        {
                            "car_id": car.car_id,
                            "is_connected": car.connected,
                            "car_model": car.car_model,
                            "car_skin": car.car_skin,
                            "driver_name": car.driver_name if car.connected else "",
                            "driver_team": "Pitwall Racing" if car.connected else "",
                            "driver_guid": car.driver_guid if car.connected else "",
                        },
                    )
            case "send_chat":
                self.counters.chats_to_cars.append((args["car_id"], args["message"]))
            case "broadcast_chat":
                self.counters.chats_to_cars.append((None, args["message"]))
            case "get_session_info":
                index = args["session_index"]
                index = self.session_index if index < 0 else index
                if index >= len(self.setup.sessions):
                    self.out_of_bound("ACSP_GET_SESSION_INFO", index)
                else:
                    self.send("session_info", self.session_message(index))
            case "set_session_info":
                index = args["session_index"]
                if index >= len(self.setup.sessions):
                    self.out_of_bound("ACSP_SET_SESSION_INFO", index)
                    return
                spec = self.setup.sessions[index]
                spec.name, spec.type, spec.laps = args["name"], args["type"], args["laps"]
                spec.seconds, spec.wait_time_s = float(args["time_s"]), args["wait_time_s"]
            case "kick_user":
                self.kick(args["car_id"])
            case "next_session":
                self.next_session()
            case "restart_session":
                self.next_session(restart=True)
            case "admin_command":
                self._admin(args["command"])

    def _car(self, car_id: int) -> _Car | None:
        return self.cars[car_id] if 0 <= car_id < len(self.cars) else None

    def kick(self, car_id: int) -> None:
        car = self._car(car_id)
        if car is None or not car.connected:
            self.out_of_bound("ACSP_KICK_USER", car_id)
            return
        car.connected = car.loaded = False
        self.send("connection_closed", self._connection(car))

    def _admin(self, command: str) -> None:
        word, _, rest = command.strip().partition(" ")
        if word in ("/next_session", "/ksns"):
            self.next_session()
        elif word in ("/restart_session", "/ksrs"):
            self.next_session(restart=True)
        elif word == "/kick":
            match = next((c for c in self.cars if c.driver_name == rest and c.connected), None)
            self.kick(match.car_id if match else 255)
        else:
            self.send("error", {"message": f"ERROR: unknown admin command {word}"})

    def _change_drivers(self, sim: float) -> None:
        """Apply the ``driver_changes`` due by ``sim``."""
        for change in self.setup.driver_changes:
            car = self._car(change.car_id)
            if change in self._changed or sim < change.at_s or car is None:
                continue
            self._changed.add(change)
            if car.connected:
                self.send("connection_closed", self._connection(car))
            car.driver_name, car.driver_guid = change.driver_name, change.driver_guid
            car.laps, car.finished = [], False
            car.connected, car.loaded = True, True
            self.send("new_connection", self._connection(car))
            self.send("client_loaded", {"car_id": car.car_id})

    # -- simulation
    def _connect_cars(self, sim: float) -> None:
        for car in self.cars:
            if car.car_id not in self._joined and sim >= 0.05 * car.car_id:
                car.connected = True
                self._joined.add(car.car_id)
                self.send("new_connection", self._connection(car))
            if car.connected and not car.loaded and sim >= 0.05 * car.car_id + 0.2:
                car.loaded = True
                self.send("client_loaded", {"car_id": car.car_id})

    def _car_update(self, car: _Car, t: float) -> None:
        st = car.driven.state(t)
        hx, hy, hz = st.heading
        self.send(
            "car_update",
            {
                "car_id": car.car_id,
                "pos": [st.x, st.y, st.z],
                "velocity": [hx * st.speed_ms, hy * st.speed_ms, hz * st.speed_ms],
                "gear": st.gear,
                "engine_rpm": round(st.rpm),
                "normalized_spline_pos": st.normalized_pos,
            },
        )

    def _laps(self, t: float) -> None:
        spec = self.session
        flag = self._flag_at is not None
        for car in self.cars:
            if not car.loaded or car.finished:
                continue
            for lap_ms in car.driven.advance(t):
                cuts = (
                    int(self.rng.integers(1, 4))
                    if self.rng.random() < self.setup.cut_probability
                    else 0
                )
                car.laps.append((lap_ms, cuts))
                if flag or (spec.laps and len(car.laps) >= spec.laps):
                    car.finished = True
                    if self._flag_at is None:
                        self._flag_at = t
                laps_by_car = {c.car_id: c.laps for c in self.cars}
                finished = {c.car_id for c in self.cars if c.finished}
                board = compute_leaderboard(
                    laps_by_car, slots=self.slots, session_type=spec.type, finished=finished
                )
                self.send(
                    "lap_completed",
                    {
                        "car_id": car.car_id,
                        "lap_time": lap_ms,
                        "cuts": cuts,
                        "leaderboard": board,
                        "grip_level": min(1.0, 0.94 + 0.002 * sum(len(c.laps) for c in self.cars)),
                    },
                )
                if car.finished:
                    break

    def _collisions(self, dt: float, t: float) -> None:
        loaded = [c for c in self.cars if c.loaded and not c.finished]
        if not loaded or self.rng.random() >= self.setup.collision_rate * dt:
            return
        car = loaded[int(self.rng.integers(len(loaded)))]
        st = car.driven.state(t)
        speed = float(self.rng.uniform(5, 60))
        others = [c for c in loaded if c is not car]
        if others and self.rng.random() < 0.5:
            other = others[int(self.rng.integers(len(others)))]
            for a, b, rel in ((car, other, [0.0, 0.3, 2.1]), (other, car, [0.0, 0.3, -2.1])):
                self.send(
                    "client_event",
                    {
                        "event_type": 10,
                        "car_id": a.car_id,
                        "other_car_id": b.car_id,
                        "impact_speed": speed,
                        "world_pos": [st.x, st.y, st.z],
                        "rel_pos": rel,
                    },
                )
        else:
            self.send(
                "client_event",
                {
                    "event_type": 11,
                    "car_id": car.car_id,
                    "impact_speed": speed,
                    "world_pos": [st.x + 4.0, st.y, st.z],
                    "rel_pos": [0.9, 0.2, 1.4],
                },
            )

    def run(self, *, duration: float | None = None) -> ServerCounters:
        """Run the session cycle once (or for ``duration`` wall-clock seconds)."""
        setup = self.setup
        self._joined: set[int] = set()
        self._changed: set[DriverChange] = set()
        self.send("version", {"protocol_version": PROTOCOL_VERSION})
        self._start_session(0)
        start = time.monotonic()
        last = 0.0
        try:
            while not self.stop_event.is_set():
                wall = time.monotonic() - start
                if duration is not None and wall >= duration:
                    break
                self._serve_requests()
                self._sim = wall * setup.time_scale
                t = self._sim - self._session_start
                self._connect_cars(self._sim)
                self._change_drivers(self._sim)
                self._laps(t)
                self._collisions(self._sim - last, t)
                last = self._sim
                if self.interval_ms and self._sim >= self._next_update:
                    for car in self.cars:
                        if car.loaded:
                            self._car_update(car, t)
                    self._next_update = self._sim + self.interval_ms / 1000 * setup.time_scale
                if self._flag_at is None and not self.session.laps and t >= self.session.seconds:
                    self._flag_at = t
                done = all(c.finished or not c.loaded for c in self.cars)
                overtime = (
                    self._flag_at is not None
                    and t - self._flag_at > 1.5 * self.cars[0].driven.circuit.lap_time
                )
                if self._flag_at is not None and (done or overtime):
                    if self.session_index + 1 >= len(setup.sessions):
                        break
                    self.next_session()
                time.sleep(0.004)
            self._end_session()
        finally:
            for car in self.cars:
                if car.connected:
                    car.connected = car.loaded = False
                    self.send("connection_closed", self._connection(car))
            self.sock.close()
        return self.counters
