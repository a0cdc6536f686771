"""A fake Assetto Corsa game serving Remote Telemetry on UDP (default port 9996).

It answers handshakes (408-byte response, ``%``-terminated names with garbage after),
streams RTCarInfo to update subscribers for the player's car lapping a real circuit (see
:mod:`circuit`), sends RTLap to spot subscribers when a lap completes, and honours dismiss.

Simulated time runs ``time_scale`` times faster than the wall clock; ``rate_hz`` updates are
sent per *simulated* second, as the game sends one per physics step. The player drives the
``sessions`` in turn (a practice starts with an out-lap from the pit lane, a race from a
standing start); between two sessions the stream pauses and the lap counter starts again at 0.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from telemetry_capture.circuit import DEFAULT_TRACK, Circuit, DrivenCar, start_delay
from telemetry_capture.driving import LapKind, field_skill
from telemetry_capture.game_protocol import (
    OP_DISMISS,
    OP_HANDSHAKE,
    OP_SUBSCRIBE_SPOT,
    OP_SUBSCRIBE_UPDATE,
    decode_handshaker,
    encode_handshake_response,
    encode_rt_car_infos,
    encode_rt_lap,
)
from telemetry_capture.wire import ProtocolError

__all__ = ["FakeGame", "GameSession", "GameSetup"]

log = logging.getLogger(__name__)
Addr = tuple[str, int]
GARBAGE = b"\x1c\x00\xfb\x3b\xb0\xf0\x10\x03"
MAX_BURST = 4096  # datagrams built at once when catching up
BATCH_S = 0.01  # wall seconds between two batches of updates (numpy builds each batch at once)


@dataclass(frozen=True)
class GameSession:
    """One session the player drives: ``practice`` (timed, ``seconds`` of simulated time, then
    the lap in progress is finished; None = endless) or ``race`` (``laps`` laps)."""

    kind: Literal["practice", "race"] = "practice"
    seconds: float | None = None
    laps: int = 0


@dataclass
class GameSetup:
    car_name: str = "ks_ferrari_488_gt3"
    driver_name: str = "Sim Driver"
    track_name: str = DEFAULT_TRACK
    rate_hz: float = 333.0  # per simulated second
    time_scale: float = 1.0
    skill: int = 0  # index into driving.FIELD (0 = the fastest)
    seed: int = 11  # with car_id: the same laps as that car of a fake server with this seed
    car_id: int = 0  # the player's grid and pit slot on the server
    sessions: list[GameSession] = field(default_factory=lambda: [GameSession()])
    pause_s: float = 20.0  # simulated seconds between two sessions (results screen)
    wait_for_subscriber: bool = False  # start driving once a client subscribed to updates


@dataclass
class GameCounters:
    handshakes: int = 0
    updates_sent: int = 0
    laps_sent: int = 0
    laps: list[int] = field(default_factory=list)  # every lap completed
    sent_laps: list[int] = field(default_factory=list)  # laps sent to a spot subscriber
    sessions: int = 0  # sessions started


class FakeGame:
    """Serve one car's telemetry on ``bind`` until ``stop()`` or the last session is over."""

    def __init__(self, *, bind: Addr = ("127.0.0.1", 9996), setup: GameSetup | None = None) -> None:
        self.setup = setup or GameSetup()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(bind)
        self.sock.setblocking(False)
        self.address: Addr = self.sock.getsockname()
        self.update_subscribers: set[Addr] = set()
        self.spot_subscribers: set[Addr] = set()
        self.counters = GameCounters()
        self.circuit = Circuit(self.setup.track_name)
        self.session_index = 0
        self.session_start = 0.0  # simulated time the current session started
        self.car = self._new_car(0)
        self.stop_event = threading.Event()
        self._response = encode_handshake_response(
            car_name=self.setup.car_name,
            driver_name=self.setup.driver_name,
            track_name=self.setup.track_name,
            track_config=self.setup.track_name,  # the real game repeats the track name (A.3)
            filler=GARBAGE,
        )

    @property
    def session(self) -> GameSession:
        return self.setup.sessions[self.session_index]

    def _new_car(self, index: int) -> DrivenCar:
        setup = self.setup
        start: LapKind = "standing" if setup.sessions[index].kind == "race" else "out"
        return DrivenCar(
            self.circuit,
            skill=field_skill(setup.skill),
            start=start,
            start_delay=start_delay(start, setup.car_id),
            seed=(setup.seed, index, setup.car_id),
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

    def car_infos(self, session_times: np.ndarray) -> list[bytes]:
        """RTCarInfo datagrams of the car at these times (seconds since the session start)."""
        return encode_rt_car_infos(self.car.channels(session_times), count=len(session_times))

    def car_info(self, sim_t: float) -> bytes:
        """One RTCarInfo datagram at ``sim_t`` seconds into the session."""
        return self.car_infos(np.array([sim_t]))[0]

    def _session_over(self, t: float) -> bool:
        """Has the player finished the current session at session time ``t``?"""
        spec = self.session
        if spec.kind == "race":
            return self.car.lap_count >= max(spec.laps, 1)
        if spec.seconds is None:
            return False
        # timed: the lap running when the time is up is the last one
        return self.car.lap_count > 0 and self.car.starts[self.car.lap_count] >= spec.seconds

    def _complete_laps(self, t: float) -> None:
        for _, lap_ms in self.car.advance(t):
            self.counters.laps.append(lap_ms)
            packet = encode_rt_lap(
                car_identifier_number=0,
                lap=self.car.lap_count - 1,
                driver_name=self.setup.driver_name,
                car_name=self.setup.car_name,
                time=lap_ms,
                filler=GARBAGE,
            )
            for addr in list(self.spot_subscribers):
                if self._send(packet, addr):
                    self.counters.laps_sent += 1
                    self.counters.sent_laps.append(lap_ms)

    def _stream(self, ticks: np.ndarray) -> None:
        """Send the updates of the simulated ``ticks`` (session times) in order, each RTLap
        between the last update before the line and the first one after it."""
        self.car.plan_until(float(ticks[-1]))
        packets = self.car_infos(ticks) if self.update_subscribers else []
        sent = 0
        while True:
            line = self.car.starts[self.car.lap_count + 1]  # when the running lap completes
            until = int(np.searchsorted(ticks, line, side="left"))
            if until >= len(ticks):
                break
            self._send_updates(packets[sent:until])
            sent = until
            self._complete_laps(line)
        self._send_updates(packets[sent:])

    def _send_updates(self, packets: list[bytes]) -> None:
        for packet in packets:
            for addr in list(self.update_subscribers):
                self.counters.updates_sent += self._send(packet, addr)

    def run(self, *, duration: float | None = None) -> GameCounters:
        """Serve until stopped (or ``duration`` wall-clock seconds)."""
        setup = self.setup
        period = 1.0 / setup.rate_hz
        start = time.monotonic()
        while setup.wait_for_subscriber and not self.update_subscribers:
            if self.stop_event.is_set() or (
                duration is not None and time.monotonic() - start >= duration
            ):
                break
            self._serve_requests()
            time.sleep(0.02)
        begin = time.monotonic()
        next_tick = 0  # ticks count simulated time from the start of the run
        paused_until: float | None = None
        self.counters.sessions = 1
        try:
            while not self.stop_event.is_set():
                now = time.monotonic()
                if duration is not None and now - start >= duration:
                    break
                self._serve_requests()
                sim = (now - begin) * setup.time_scale
                last_tick = min(int(sim / period), next_tick + MAX_BURST - 1)
                if last_tick < next_tick:
                    time.sleep(min(period / setup.time_scale, 0.01))
                    continue
                ticks = np.arange(next_tick, last_tick + 1) * period
                next_tick = last_tick + 1
                if paused_until is not None:
                    if ticks[-1] < paused_until:
                        continue
                    paused_until = None
                    self._next_session(float(ticks[-1]))
                    continue
                if self.session_index >= len(setup.sessions):
                    break  # every session driven: the player quits the game
                self._stream(ticks - self.session_start)
                if self._session_over(float(ticks[-1]) - self.session_start):
                    log.info("session %d done: %d laps", self.session_index, self.car.lap_count)
                    paused_until = float(ticks[-1]) + setup.pause_s
                time.sleep(BATCH_S)
        finally:
            self.sock.close()
        return self.counters

    def _next_session(self, sim: float) -> None:
        self.session_index += 1
        if self.session_index >= len(self.setup.sessions):
            return
        self.session_start = sim
        self.car = self._new_car(self.session_index)
        self.counters.sessions += 1
