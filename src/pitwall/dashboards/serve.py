"""Serve the marimo apps (``marimo run``) and the kedro-viz static build beside them.

``make demo`` (``sandbox.demo``) uses :func:`serve_dashboards`;
``python -m pitwall.dashboards.serve`` does the same standalone. Tests use port 0 everywhere.
Subprocesses run our own marimo / kedro entry points with a fixed argv, never through a shell.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated

import httpx
import typer

from pitwall.settings import get_settings

log = logging.getLogger(__name__)

APPS: tuple[str, ...] = (
    "lap_analysis",
    "race_session",
    "season",
    "platform_health",
    "sql_explorer",
    "ref_editor",
)
APPS_PORT = 2718
LINEAGE_PORT = 4141
_KEDRO_PROJECT_FILES = ("pyproject.toml", "conf", "data")


class DashboardError(RuntimeError):
    """The apps server or the lineage build did not come up."""


@dataclass(frozen=True)
class DashboardUrls:
    """Where the dashboards are served: one URL per app, the gallery and the lineage."""

    gallery: str
    apps: dict[str, str]
    lineage: str | None


def app_urls(base_url: str) -> dict[str, str]:
    """The URL of each app served by ``marimo run <notebooks dir>`` at ``base_url``."""
    return {name: f"{base_url}/?file={name}.py" for name in APPS}


def _free_port(host: str) -> int:
    """An ephemeral port picked by the OS (marimo cannot be handed a bound socket)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_apps(
    port: int = 0,
    *,
    host: str = "127.0.0.1",
    notebooks: Path | None = None,
    env: Mapping[str, str] | None = None,
    startup_timeout_s: float = 90.0,
    log_path: Path | None = None,
) -> Iterator[str]:
    """Run ``marimo run <notebooks>`` (read-only apps) and yield its base URL.

    Args:
        port: TCP port; 0 lets the OS pick one (retried if another process takes it first).
        host: interface to bind.
        notebooks: the apps' folder (default ``<home>/notebooks``).
        env: extra environment for the apps (e.g. ``PITWALL_LAKE_URI``).
        startup_timeout_s: how long to wait for the server to answer.
        log_path: where marimo's output goes (default: ``pitwall-marimo-<port>.log`` in the
            temporary directory).
    """
    folder = notebooks or get_settings().home / "notebooks"
    attempts = 3 if port == 0 else 1
    for attempt in range(1, attempts + 1):
        chosen = port or _free_port(host)
        with _marimo_process(folder, host=host, port=chosen, env=env, log_path=log_path) as proc:
            base_url = f"http://{host}:{chosen}"
            if _wait_ready(f"{base_url}/health", proc=proc, timeout_s=startup_timeout_s):
                log.info("marimo apps serving %s", base_url)
                yield base_url
                return
            if proc.poll() is None:
                raise DashboardError(f"marimo did not answer on {base_url} in time")
            log.warning("marimo exited on port %s (attempt %d)", chosen, attempt)
    raise DashboardError("marimo could not start: see its log")


@contextmanager
def _marimo_process(
    folder: Path, *, host: str, port: int, env: Mapping[str, str] | None, log_path: Path | None
) -> Iterator[subprocess.Popen[bytes]]:
    command = [
        sys.executable, "-m", "marimo", "run", str(folder), "--headless", "--host", host,
        "--port", str(port), "--no-token", "--no-sandbox",
    ]  # fmt: skip
    sink = log_path or Path(tempfile.gettempdir()) / f"pitwall-marimo-{port}.log"
    with sink.open("ab") as log_file:
        proc = subprocess.Popen(  # nosec B603
            command,
            env={**os.environ, **(env or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its kernels die with it (process group)
        )
        try:
            yield proc
        finally:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def _wait_ready(url: str, *, proc: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    return False


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


@contextmanager
def serve_static(directory: Path, port: int = 0, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the files of ``directory`` (e.g. the kedro-viz build) and yield the base URL."""
    if not (directory / "index.html").is_file():
        raise DashboardError(f"{directory} holds no index.html: build it first")
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="pitwall-static", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]
    try:
        yield f"http://{bound_host}:{bound_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def build_lineage(
    output: Path,
    *,
    home: Path | None = None,
    include_previews: bool = True,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 900.0,
) -> Path:
    """Run ``kedro viz build`` for the project and put the static site at ``output``.

    ``kedro viz build`` always writes ``./build`` of the project it runs in, so it runs in a
    staging copy of the project made of symlinks (the real ``build/`` and concurrent builds are
    left alone); the result then replaces ``output`` by renames. With ``include_previews`` the
    datasets' ``preview()`` tables are embedded (kedro-viz leaves them out otherwise).

    Raises:
        DashboardError: the build failed (``kedro viz build`` exits 0 even then).
    """
    if importlib.util.find_spec("kedro_viz") is None:
        raise DashboardError("kedro-viz is not installed: uv sync --extra demo")
    root = (home or get_settings().home).resolve()
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".viz-staging-", dir=output.parent))
    try:
        for name in _KEDRO_PROJECT_FILES:
            if (root / name).exists():
                (staging / name).symlink_to(root / name)
        (staging / "src").mkdir()  # kedro resolves src: it must lie inside the project
        for package in (root / "src").iterdir():
            (staging / "src" / package.name).symlink_to(package)
        command = [str(Path(sys.executable).parent / "kedro"), "viz", "build"]
        if include_previews:
            command.append("--include-previews")
        done = subprocess.run(  # nosec B603
            command,
            cwd=staging,
            env={**os.environ, "PITWALL_HOME": str(root), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        built = staging / "build"
        if done.returncode != 0 or not (built / "api" / "main").is_file():
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-20:])
            raise DashboardError(f"kedro viz build failed ({done.returncode}):\n{tail}")
        _replace_dir(built, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("kedro-viz build in %s", output)
    return output


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target`` by renames, so ``target`` is never half-written."""
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    fresh.rmdir()
    shutil.move(str(new), fresh)
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def serve_dashboards(
    *,
    apps_port: int = APPS_PORT,
    lineage_port: int = LINEAGE_PORT,
    home: Path | None = None,
    lineage_dir: Path | None = None,
    build: bool = True,
    env: Mapping[str, str] | None = None,
) -> Iterator[DashboardUrls]:
    """Serve the apps and the kedro-viz build (made first unless ``build=False``).

    Args:
        apps_port: port of ``marimo run`` (0 = ephemeral).
        lineage_port: port of the kedro-viz static site (0 = ephemeral).
        home: project root (default: the settings' home).
        lineage_dir: where the kedro-viz build lives (default ``<home>/data/viz``).
        build: run ``kedro viz build`` first; without it an existing build is served, if any.
        env: extra environment for the apps and the build.
    """
    root = home or get_settings().home
    viz = lineage_dir or root / "data" / "viz"
    if build:
        build_lineage(viz, home=root, env=env)
    with serve_apps(apps_port, notebooks=root / "notebooks", env=env) as base:
        if not (viz / "index.html").is_file():
            log.warning("no kedro-viz build in %s: lineage not served", viz)
            yield DashboardUrls(gallery=base, apps=app_urls(base), lineage=None)
            return
        with serve_static(viz, lineage_port) as lineage:
            yield DashboardUrls(gallery=base, apps=app_urls(base), lineage=lineage)


def main(
    apps_port: Annotated[int, typer.Option(help="port of the marimo apps")] = APPS_PORT,
    lineage_port: Annotated[int, typer.Option(help="port of the kedro-viz build")] = LINEAGE_PORT,
    build: Annotated[bool, typer.Option(help="run kedro viz build first")] = True,
) -> None:
    """Serve the marimo apps and the kedro-viz lineage until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    signal.signal(signal.SIGTERM, _exit_on_signal)  # so the servers below are stopped too
    with serve_dashboards(apps_port=apps_port, lineage_port=lineage_port, build=build) as urls:
        for name, url in urls.apps.items():
            typer.echo(f"{name:>16}: {url}")
        typer.echo(f"{'lineage':>16}: {urls.lineage or 'not built'}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            typer.echo("stopping")


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    typer.run(main)
