"""Capture files of Assetto Corsa race sessions, generated directly (no UDP), for ``growth``.

A session is what ``pitwall.assetto.demo`` records with one sim rig, on a real circuit: the
server plugin's capture of a race of ``CARS`` GT3s (CAR_UPDATE every 200 ms, every lap with
its leaderboard, a few collisions) and the game capture of car 0's rig (RTCarInfo at the
rate that gives the session's telemetry rows over ``SESSION_S``, RTLap at each line). The
cars drive with ``telemetry_capture``'s own model (``DrivenCar``), the rig's laps being the
very laps the server times for car 0, as in the demo.

Files are what the daemons write (``telemetry_capture.sink``): the kind's Arrow schema
(``schemas.schema_for``), Parquet with the sink's options, one file per kind and minute (the
daemon's default ``--roll-seconds 60``), named ``<out>/<kind>/<capture id>-<seq>.parquet``.
Rows are built with numpy/pyarrow; the rare server messages go through the plugin protocol's
own encoder and decoder, so they are exactly the rows the daemon decodes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from telemetry_capture.circuit import Circuit, DrivenCar, plan_ahead, start_delay
from telemetry_capture.decode import car_info_batch, constant_strings
from telemetry_capture.driving import field_skill
from telemetry_capture.fake_server import MODELS, NAMES, PROTOCOL_VERSION, compute_leaderboard
from telemetry_capture.game_protocol import (
    CAR_INFO_SIZE,
    RT_CAR_INFO_DTYPE,
    decode_handshake_response,
    decode_rt_lap,
    encode_handshake_response,
    encode_rt_lap,
)
from telemetry_capture.schemas import schema_for
from telemetry_capture.server_protocol import decode_server_message, encode_server_message
from telemetry_capture.sink import SinkOptions, _write_parquet

TRACKS = ("ks_monza", "spa", "ks_silverstone", "ks_red_bull_ring")
"""The season's circuits, visited in turn (each hosts a quarter of the sessions)."""
CARS = 8
SLOTS = CARS + 2
SESSION_S = 600.0  # simulated seconds a session lasts (the server's and the rig's capture)
UPDATE_S = 0.2  # the server daemon's realtime interval (the demo's --interval-ms 200)
COLLISIONS = 10  # contacts per session, half of them car against car
T0 = datetime(2026, 1, 5, 19, 0, tzinfo=UTC)
GAME_SOURCE, SERVER_SOURCE = "127.0.0.1:9996", "127.0.0.1:11000"
SINK = SinkOptions()
Tables = dict[str, pa.Table]


@dataclass(frozen=True)
class Session:
    """The ``number``-th race of the season (one a day), with ``rows`` telemetry rows."""

    number: int
    rows: int

    @property
    def track(self) -> str:
        return TRACKS[self.number % len(TRACKS)]

    @property
    def started_at(self) -> datetime:
        return T0 + timedelta(days=self.number)

    def capture_id(self, mode: str) -> str:
        """As ``telemetry_capture.capture.new_capture_id`` names them."""
        return f"{mode}-{self.started_at:%Y%m%dT%H%M%SZ}-{self.number:06x}"


def _car(circuit: Circuit, session: Session, car_id: int) -> DrivenCar:
    """Car ``car_id`` from the grid, seeded like the fake server's (and the rig's) car."""
    return DrivenCar(
        circuit,
        skill=field_skill(car_id),
        start="standing",
        start_delay=start_delay("standing", car_id),
        seed=(11 + session.number, 0, car_id),
    )


def _stamps(at: datetime, seconds: np.ndarray) -> pa.Array:
    base = int(at.timestamp() * 1_000_000)
    micros = base + np.round(seconds * 1_000_000).astype(np.int64)
    return pa.array(micros, type=pa.timestamp("us", tz="UTC"))


def _rows_table(kind: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_batches([pa.RecordBatch.from_pylist(rows, schema=schema_for(kind))])


def _common(at: datetime, capture_id: str, source: str) -> dict[str, Any]:
    return {"received_at": at, "source": source, "capture_id": capture_id}


# ----------------------------------------------------------------------------- game
def game_capture(session: Session, car: DrivenCar) -> Tables:
    """The rig of car 0: its handshake, ``session.rows`` RTCarInfo and an RTLap per lap."""
    capture = session.capture_id("game")
    times = np.arange(session.rows) * (SESSION_S / session.rows)
    channels = car.channels(times)
    records = np.zeros(len(times), dtype=RT_CAR_INFO_DTYPE)
    records["identifier"], records["size"] = ord("a"), CAR_INFO_SIZE
    for name in RT_CAR_INFO_DTYPE.names or ():
        if name in channels:
            records[name] = channels[name]
    start = session.started_at
    hello = encode_handshake_response(
        car_name=MODELS[0], driver_name=NAMES[0], track_name=session.track,
        track_config=session.track,
    )  # fmt: skip
    hands = [{**_common(start, capture, GAME_SOURCE), **decode_handshake_response(hello)}]
    laps = []
    for n, lap_start in enumerate(car.starts[1:]):
        if lap_start >= SESSION_S:
            break
        packet = encode_rt_lap(
            car_identifier_number=0, lap=n, driver_name=NAMES[0], car_name=MODELS[0],
            time=car.lap_ms(n),
        )  # fmt: skip
        at = start + timedelta(seconds=1 + lap_start)
        laps.append({**_common(at, capture, GAME_SOURCE), **decode_rt_lap(packet)})
    return {
        "handshake_response": _rows_table("handshake_response", hands),
        "rt_car_info": _car_info_table(records, _stamps(start, 1 + times), capture),
        "rt_lap": _rows_table("rt_lap", laps),
    }


def _car_info_table(records: np.ndarray, stamps: pa.Array, capture: str) -> pa.Table:
    """The batch ``telemetry_capture.decode.GameDecoder`` builds from received datagrams."""
    batch = car_info_batch(records, stamps=stamps, source=GAME_SOURCE, capture_id=capture)
    return pa.Table.from_batches([batch])


# ----------------------------------------------------------------------------- server
def race_cars(session: Session, circuit: Circuit) -> list[DrivenCar]:
    """The field, its laps planned for the whole session in one pass (as the server does)."""
    cars = [_car(circuit, session, i) for i in range(CARS)]
    plan_ahead(cars, int(SESSION_S // circuit.lap_time) + 2)
    return cars


def server_capture(session: Session, circuit: Circuit, cars: list[DrivenCar]) -> Tables:
    """The race as the server plugin reports it: session start, connections, positions,
    laps with the leaderboard, collisions, the end of the session and the disconnections."""
    capture = session.capture_id("server")
    start = session.started_at
    messages: list[tuple[float, str, dict[str, Any]]] = [
        (-2.0, "version", {"protocol_version": PROTOCOL_VERSION}),
        (-1.0, "new_session", _session_message(session, circuit)),
    ]
    for i in range(CARS):
        messages += [
            (-0.9 + 0.05 * i, "new_connection", _connection(i)),
            (-0.7 + 0.05 * i, "client_loaded", {"car_id": i}),
            (SESSION_S + 1, "connection_closed", _connection(i)),
        ]
    messages += _laps(cars) + _collisions(cars, session)
    messages.append((SESSION_S + 0.5, "end_session", {"results_json_path": "results/race.json"}))
    rows: dict[str, list[dict[str, Any]]] = {}
    for at, kind, message in sorted(messages, key=lambda m: m[0]):
        decoded_kind, row = decode_server_message(encode_server_message(kind, message))
        stamp = start + timedelta(seconds=1 + at)
        rows.setdefault(decoded_kind, []).append({**_common(stamp, capture, SERVER_SOURCE), **row})
    tables = {kind: _rows_table(kind, kind_rows) for kind, kind_rows in rows.items()}
    tables["car_update"] = _car_updates(cars, start, capture)
    return tables


def _session_message(session: Session, circuit: Circuit) -> dict[str, Any]:
    return {
        "protocol_version": PROTOCOL_VERSION, "session_index": 0, "current_session_index": 0,
        "session_count": 1, "server_name": "Pitwall League", "track": session.track,
        "track_config": circuit.config, "session_name": "Race", "session_type": 3, "time": 0,
        "laps": int(SESSION_S // circuit.lap_time), "wait_time": 0, "ambient_temp": 24,
        "road_temp": 31, "weather_graphics": "3_clear", "wide_weather": False, "elapsed_ms": 0,
    }  # fmt: skip


def _connection(car_id: int) -> dict[str, Any]:
    return {
        "driver_name": NAMES[car_id % len(NAMES)],
        "driver_guid": str(76561198000000000 + 1000 + car_id),
        "car_id": car_id,
        "car_model": MODELS[car_id % len(MODELS)],
        "car_skin": f"{car_id:02d}_livery",
    }


def _laps(cars: list[DrivenCar]) -> list[tuple[float, str, dict[str, Any]]]:
    """LAP_COMPLETED at every line crossing in the session, in crossing order."""
    crossings = []
    for car_id, car in enumerate(cars):
        car.plan_until(SESSION_S)
        for n, at in enumerate(car.starts[1:]):
            if at < SESSION_S:
                crossings.append((at, car_id, car.laps[n].cuts, car.lap_ms(n)))
    done: dict[int, list[tuple[int, int]]] = {}
    out = []
    for at, car_id, cuts, lap_ms in sorted(crossings):
        done.setdefault(car_id, []).append((lap_ms, cuts))
        board = compute_leaderboard(done, slots=SLOTS, session_type=3, finished=set())
        message = {
            "car_id": car_id, "lap_time": lap_ms, "cuts": cuts, "leaderboard": board,
            "grip_level": min(1.0, 0.94 + 0.002 * sum(len(v) for v in done.values())),
        }  # fmt: skip
        out.append((at, "lap_completed", message))
    return out


def _collisions(cars: list[DrivenCar], session: Session) -> list[tuple[float, str, dict[str, Any]]]:
    rng = np.random.default_rng(session.number)
    out: list[tuple[float, str, dict[str, Any]]] = []
    for n in range(COLLISIONS):
        at = float(rng.uniform(30, SESSION_S - 30))
        car_id = int(rng.integers(CARS))
        st = cars[car_id].state(at)
        where = {"impact_speed": float(rng.uniform(5, 60)), "world_pos": [st.x, st.y, st.z]}
        if n % 2:
            other = (car_id + 1) % CARS
            for a, b, rel in ((car_id, other, [0.0, 0.3, 2.1]), (other, car_id, [0.0, 0.3, -2.1])):
                event = {"event_type": 10, "car_id": a, "other_car_id": b, "rel_pos": rel}
                out.append((at, "client_event", {**event, **where}))
        else:
            event = {"event_type": 11, "car_id": car_id, "rel_pos": [0.9, 0.2, 1.4]}
            out.append((at, "client_event", {**event, **where}))
    return out


def _car_updates(cars: list[DrivenCar], start: datetime, capture: str) -> pa.Table:
    """CAR_UPDATE of every car every ``UPDATE_S`` (numpy; the values the protocol carries:
    float32 vectors, gear as a byte, rpm as a 16-bit integer)."""
    times = np.arange(0.0, SESSION_S, UPDATE_S)
    parts = []
    for car_id, car in enumerate(cars):
        where = car.positions(times)
        n = len(times)
        vectors = {
            name: pa.FixedSizeListArray.from_arrays(
                pa.array(where[key].astype(np.float32).reshape(-1)), 3
            )
            for name, key in (("pos", "car_coordinates"), ("velocity", "velocity"))
        }
        columns = [
            _stamps(start, 1 + times + 0.001 * car_id),
            constant_strings(SERVER_SOURCE, n),
            constant_strings(capture, n),
            pa.array(np.full(n, car_id, np.uint8)),
            vectors["pos"],
            vectors["velocity"],
            pa.array(where["gear"].astype(np.uint8)),
            pa.array(np.round(where["engine_rpm"]).astype(np.uint16)),
            pa.array(where["car_position_normalized"].astype(np.float32)),
        ]
        parts.append(pa.RecordBatch.from_arrays(columns, schema=schema_for("car_update")))
    return pa.Table.from_batches(parts).sort_by("received_at")


# ----------------------------------------------------------------------------- files
def _minutes(table: pa.Table, start: datetime) -> Iterator[tuple[int, pa.Table]]:
    """The table's rows per ``SINK.roll_seconds`` window since ``start`` (the daemon's rolls)."""
    seconds = (
        table.column("received_at").cast(pa.int64()).to_numpy() - int(start.timestamp() * 1e6)
    ) / 1e6
    window = np.floor_divide(np.maximum(seconds, 0), SINK.roll_seconds).astype(np.int64)
    for minute in np.unique(window):
        yield int(minute), table.filter(pa.array(window == minute))


def write_capture(out: Path, capture_id: str, tables: Tables, *, start: datetime) -> int:
    """Write a capture's tables as the sink does (one file per kind and minute); return the
    number of files."""
    pieces = sorted(
        (
            (minute, kind, part)
            for kind, table in tables.items()
            for minute, part in _minutes(table, start)
        ),
        key=lambda piece: piece[:2],
    )
    for seq, (_, kind, part) in enumerate(pieces, start=1):
        folder = out / kind
        folder.mkdir(parents=True, exist_ok=True)
        _write_parquet(
            part,
            folder / f"{capture_id}-{seq:05d}.parquet",
            compression=SINK.compression,
            compression_level=SINK.compression_level,
        )
    return len(pieces)


@functools.cache
def _circuit(track: str) -> Circuit:
    return Circuit(track)


def write_session(landing: Path, session: Session) -> int:
    """The session's two captures under ``landing/{server,game-0}``; return the files."""
    circuit = _circuit(session.track)
    cars = race_cars(session, circuit)
    start = session.started_at
    files = write_capture(
        landing / "server", session.capture_id("server"), server_capture(session, circuit, cars),
        start=start,
    )  # fmt: skip
    return files + write_capture(
        landing / "game-0", session.capture_id("game"), game_capture(session, cars[0]),
        start=start,
    )  # fmt: skip
