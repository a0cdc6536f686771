"""Record a short Assetto Corsa demo session: both simulators into two capture daemons.

Everything runs through the ``telemetry-capture`` CLI as subprocesses on loopback
(ephemeral ports): a fake game and a fake acServer, each captured by its own daemon
writing completed Parquet files under ``<landing_dir>/assetto/{game,server}``.
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import subprocess  # nosec B404
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["record_demo_session"]

log = logging.getLogger(__name__)
# Simulated time runs this much faster than the wall clock: the synthetic circuit's
# ~16 s laps take ~8 s, so a 20 s demo completes laps in both protocols.
TIME_SCALE = 2.0


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


def record_demo_session(
    landing_dir: Path, *, seconds: float = 20, cars: int = 6, time_scale: float = TIME_SCALE
) -> dict:
    """Run the fake game and fake acServer for ``seconds`` into two capture daemons.

    Returns the daemons' summaries (rows per message kind, laps, files written...) and the
    simulators' own counts under ``game``/``server``/``game_sim``/``server_sim``.
    """
    out = Path(landing_dir) / "assetto"
    game_port, server_port, plugin_port = _free_port(), _free_port(), _free_port()
    status = ("--status", "never", "--roll-seconds", "3600")
    game_capture = _cli(
        "game", "--game", f"127.0.0.1:{game_port}", "--out", str(out / "game"),
        "--retry-interval", "0.2", *status,
    )  # fmt: skip
    server_capture = _cli(
        "server", "--listen", f"127.0.0.1:{plugin_port}", "--server", f"127.0.0.1:{server_port}",
        "--interval-ms", "200", "--out", str(out / "server"), *status,
    )  # fmt: skip
    try:
        time.sleep(1.0)  # let both daemons bind before the simulators start talking
        sim_seconds = seconds * time_scale
        game = _cli(
            "simulate", "game", "--bind", f"127.0.0.1:{game_port}",
            "--time-scale", str(time_scale), "--duration", str(seconds),
        )  # fmt: skip
        server = _cli(
            "simulate", "server", "--bind", f"127.0.0.1:{server_port}",
            "--plugin", f"127.0.0.1:{plugin_port}", "--cars", str(cars),
            "--sessions", f"Race:3:{sim_seconds * 0.8:.0f}",
            "--time-scale", str(time_scale), "--duration", str(seconds),
        )  # fmt: skip
        game_sim = _finish(game, stop=False, timeout=seconds + 60)
        server_sim = _finish(server, stop=False, timeout=seconds + 60)
        time.sleep(0.3)  # the last datagrams are in the daemons' socket buffers
    finally:
        summaries = {}
        for name, proc in (("game", game_capture), ("server", server_capture)):
            summaries[name] = _finish(proc, stop=True, timeout=60)
    result = {**summaries, "game_sim": game_sim, "server_sim": server_sim, "landing_dir": str(out)}
    log.info(
        "assetto demo: game %d rows, %d laps; server %d rows, %d laps",
        summaries["game"]["decoded"],
        summaries["game"]["laps"],
        summaries["server"]["decoded"],
        summaries["server"]["laps"],
    )
    return result
