"""Stopping what the demo started: its child processes (all of them, however deep) and the
embedded PostgreSQL, on a normal exit, Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess  # nosec B404
from pathlib import Path
from types import FrameType

import psutil

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 5.0


class Stopped(SystemExit):
    """Raised in the main thread by SIGTERM / SIGHUP so every ``finally`` runs."""


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_on_signals() -> None:
    """SIGTERM and SIGHUP unwind the demo like Ctrl-C does (Python would just die). The first
    signal starts the way out; later ones (make and uv pass Ctrl-C on too) are ignored so that
    nothing interrupts the stopping."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        for other in _STOP_SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Stopped(128 + signum)

    for signum in _STOP_SIGNALS:
        signal.signal(signum, handler)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM ``proc``, then SIGKILL it if it is still there after the timeout."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stop_descendants(*, timeout_s: float = STOP_TIMEOUT_S) -> int:
    """Terminate every process below this one (children of children included: the tree is
    read first, so none escapes when its parent dies), then kill the ones still there.
    Returns how many there were."""
    procs = psutil.Process().children(recursive=True)
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.terminate()
    _gone, alive = psutil.wait_procs(procs, timeout=timeout_s)
    for proc in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    psutil.wait_procs(alive, timeout=timeout_s)
    return len(procs)


def postmaster_pid(pgdata: Path) -> int | None:
    """The PostgreSQL server's pid from ``postmaster.pid``, if one runs in ``pgdata``."""
    try:
        first = (pgdata / "postmaster.pid").read_text().splitlines()[0]
    except (FileNotFoundError, IndexError):
        return None
    pid = int(first)
    return pid if psutil.pid_exists(pid) else None


def stop_postgres(pgdata: Path, *, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """Stop the embedded server in ``pgdata`` whoever else holds it (pgserver would keep it up
    while a crashed child's pid stays in its handle list): SIGINT is PostgreSQL's "fast
    shutdown" (roll back, disconnect, stop); SIGQUIT after the timeout."""
    pid = postmaster_pid(pgdata)
    if pid is None:
        return
    server = psutil.Process(pid)
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=timeout_s)
    except psutil.TimeoutExpired:
        log.warning("PostgreSQL did not stop in %.0f s: SIGQUIT", timeout_s)
        server.send_signal(signal.SIGQUIT)
        server.wait(timeout=timeout_s)
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
