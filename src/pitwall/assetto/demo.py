"""Record an Assetto Corsa demo event: a practice and a race on a real circuit.

Everything runs through the ``telemetry-capture`` CLI as subprocesses on loopback (ephemeral
ports): a fake acServer with the whole field, captured by a server daemon, and one fake game
per sim rig (players who are also in the server's field, in the same car model, driving the
very laps the server times for them), each captured by its own game daemon; completed Parquet
files land under
``<landing_dir>/assetto/{server,game-<n>}``. Simulated time runs fast enough for the event to
take about ``seconds`` of wall time.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import socket
import subprocess  # nosec B404
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from telemetry_capture.circuit import Circuit
from telemetry_capture.fake_server import MODELS, NAMES

__all__ = ["record_demo_session"]

log = logging.getLogger(__name__)
PRACTICE_LAPS = 3.0  # a practice lasts this many typical laps (out-lap + ~2 flying laps)
WIRE_RATE = 3000.0  # RTCarInfo datagrams per wall-clock second a rig sends at most
COLLISIONS = 10  # contacts and hits the whole field has in an event, on average
SEED = 11
CAPTURE_OPTIONS = {"status": "never", "roll_seconds": 3600}


def _flags(**options: object) -> list[str]:
    """``--name value`` arguments (``True``: a bare flag; ``_`` in names becomes ``-``)."""
    args: list[str] = []
    for name, value in options.items():
        args.append("--" + name.replace("_", "-"))
        if value is not True:
            args.append(str(value))
    return args


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # nosec B603
        [sys.executable, "-m", "telemetry_capture", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _finish(proc: subprocess.Popen[bytes], *, stop: bool, timeout: float) -> dict[str, Any]:
    if stop:
        proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(
            f"telemetry-capture failed ({proc.returncode}): {stderr.decode()[-2000:]}"
        )
    return json.loads(stdout.decode().strip().splitlines()[-1])


def _wait_for(path: Path, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the capture daemon did not start: no {path}")
        time.sleep(0.05)


def rig_cars(cars: int, rigs: int) -> list[int]:
    """The server car ids the rigs' players drive: the first car, then others of its model."""
    same_model = [i for i in range(cars) if MODELS[i % len(MODELS)] == MODELS[0]]
    others = [i for i in range(cars) if i not in same_model]
    return (same_model + others)[:rigs]


def _merged(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    """The rigs' capture summaries as one (counts added up)."""
    rows: Counter[str] = Counter()
    for summary in summaries:
        rows.update(summary.get("rows", {}))
    merged: dict[str, Any] = {"rows": dict(rows)}
    for key in ("decoded", "laps", "received", "quarantined"):
        merged[key] = sum(int(s.get(key, 0)) for s in summaries)
    return merged


def record_demo_session(
    landing_dir: Path,
    *,
    seconds: float = 20,
    cars: int = 8,
    track: str = "ks_monza",
    practice: bool = True,
    race_laps: int = 3,
    rigs: int = 2,
    time_scale: float | None = None,
) -> dict[str, Any]:
    """A practice (optional) and a ``race_laps`` race of ``cars`` GT3s on ``track``, with
    ``rigs`` of the drivers also streaming their game telemetry, in about ``seconds``.

    Returns the daemons' summaries (``server``; ``game`` = every rig's added up) and the
    simulators' own counts (``server_sim``, ``game_sim`` = the first rig's), with each rig's
    details under ``rigs``.
    """
    out = Path(landing_dir) / "assetto"
    lap_s = Circuit(track).lap_time
    practice_s = PRACTICE_LAPS * lap_s if practice else 0.0
    event_s = practice_s + (race_laps + 1.5) * lap_s
    scale = time_scale or event_s / (0.8 * seconds)
    rate = max(20.0, min(333.0, WIRE_RATE / scale))
    cap = max(seconds * 2.5, event_s / scale * 1.5)  # wall seconds, should the event overrun
    server_port, plugin_port = _free_port(), _free_port()
    drivers = rig_cars(cars, rigs)
    game_ports = [_free_port() for _ in drivers]
    run_dir = Path(tempfile.mkdtemp(prefix="pitwall-demo-"))
    port_file = run_dir / "server.port"
    captures = {
        "server": _cli(
            "server",
            *_flags(
                listen=f"127.0.0.1:{plugin_port}",
                server=f"127.0.0.1:{server_port}",
                interval_ms=200,
                out=out / "server",
                port_file=port_file,
                **CAPTURE_OPTIONS,
            ),
        )
    }
    for n, port in enumerate(game_ports):
        captures[f"game-{n}"] = _cli(
            "game",
            *_flags(
                game=f"127.0.0.1:{port}",
                out=out / f"game-{n}",
                retry_interval=0.2,
                # a new session shows in the lap counter; a busy machine must not split one
                silence_timeout=10,
                **CAPTURE_OPTIONS,
            ),
        )
    practice_only = [f"{practice_s:.0f}"] if practice else []
    timing = {"time_scale": f"{scale:.3f}", "duration": cap, "track": track}
    try:
        games = [
            _cli(
                "simulate",
                "game",
                *_flags(
                    bind=f"127.0.0.1:{port}",
                    driver=NAMES[car % len(NAMES)],
                    car=MODELS[car % len(MODELS)],
                    skill=car,
                    seed=SEED,  # with the car id: the same laps as that car on the server
                    car_id=car,
                    sessions=",".join(
                        [f"practice:{p}" for p in practice_only] + [f"race:{race_laps}"]
                    ),
                    rate=f"{rate:.1f}",
                    wait_for_subscriber=True,
                    **timing,
                ),
            )
            for car, port in zip(drivers, game_ports, strict=True)
        ]
        _wait_for(port_file, timeout=60.0)  # the plugin listens: the server may start
        server = _cli(
            "simulate",
            "server",
            *_flags(
                bind=f"127.0.0.1:{server_port}",
                plugin=f"127.0.0.1:{plugin_port}",
                cars=cars,
                seed=SEED,
                collision_rate=f"{COLLISIONS / event_s:.5f}",
                sessions=",".join(
                    [f"Practice:1:{p}" for p in practice_only] + [f"Race:3:0:{race_laps}"]
                ),
                **timing,
            ),
        )
        game_sims = [_finish(game, stop=False, timeout=cap + 60) for game in games]
        server_sim = _finish(server, stop=False, timeout=cap + 60)
        time.sleep(0.3)  # the last datagrams are in the daemons' socket buffers
    finally:
        summaries = {name: _finish(proc, stop=True, timeout=60) for name, proc in captures.items()}
        shutil.rmtree(run_dir, ignore_errors=True)
    rig_summaries = [summaries[f"game-{n}"] for n in range(len(drivers))]
    game = _merged(rig_summaries)
    result: dict[str, Any] = {
        "server": summaries["server"],
        "game": game,
        "server_sim": server_sim,
        "game_sim": game_sims[0] if game_sims else {},
        "rigs": [
            {"car_id": car, "driver": NAMES[car % len(NAMES)], "capture": s, "sim": sim}
            for car, s, sim in zip(drivers, rig_summaries, game_sims, strict=True)
        ],
        "track": track,
        "time_scale": scale,
        "landing_dir": str(out),
    }
    log.info(
        "assetto demo at %s (x%.0f): %d rigs, %d game rows, %d laps; server %d rows, %d laps",
        track,
        scale,
        len(drivers),
        game["decoded"],
        game["laps"],
        summaries["server"]["decoded"],
        summaries["server"]["laps"],
    )
    return result
