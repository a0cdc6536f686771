"""The demo: the whole platform on embedded defaults, end to end, with live progress."""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from typing import Any

from rich.console import Console

from pitwall.lake.layout import get_lake
from pitwall.settings import get_settings
from sandbox.demo.kedro_job import run_kedro
from sandbox.demo.processes import Stopped, stop_descendants
from sandbox.demo.progress import step
from sandbox.demo.services import start_sandbox
from sandbox.demo.steps import kedro_env, record_telemetry, seed_landing, write_sandbox_credentials
from sandbox.demo.summary import render_commands, render_mirror, render_summary, try_commands

log = logging.getLogger(__name__)


def run_demo(
    *, serve: bool, telemetry_seconds: float = 20.0, console: Console | None = None
) -> None:
    """Start the sandbox, land every source, mirror, print the summary, optionally serve.

    However it ends (done, an error, Ctrl-C, SIGTERM), every process it started is stopped:
    the stack closes the servers, then the remaining child processes are ended.
    """
    console = console or Console()
    home = get_settings().home
    started = time.perf_counter()
    try:
        with ExitStack() as stack:
            _run(stack, serve=serve, telemetry_seconds=telemetry_seconds, console=console)
            console.print(f"[dim]demo finished in {time.perf_counter() - started:.0f} s[/dim]")
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]: stopping everything the demo started")
        raise SystemExit(130) from None
    except Stopped:
        console.print("[yellow]signalled[/yellow]: stopping everything the demo started")
        raise
    finally:
        stop_descendants()
        log.debug("demo in %s stopped", home)


def _run(stack: ExitStack, *, serve: bool, telemetry_seconds: float, console: Console) -> None:
    home = get_settings().home
    with step(console, "PostgreSQL and the sandbox services") as current:
        sandbox = start_sandbox(stack, home=home)
        current.result = "partner API, website, OIDC issuer"
    write_sandbox_credentials(home)
    with step(console, "landing zone") as current:
        current.result = f"{seed_landing(home)} sample CSV file(s) copied"
    with step(console, f"recording a {telemetry_seconds:.0f} s Assetto Corsa session") as current:
        current.result = _telemetry_line(record_telemetry(home, seconds=telemetry_seconds))
    log_file = home / "data" / "run" / "kedro-run.log"
    run_kedro(home, env=kedro_env(sandbox), log_file=log_file, console=console)
    console.print(f"  [dim]log: {log_file.relative_to(home)}[/dim]")
    lake = get_lake()
    render_summary(lake, console=console)
    with step(console, "PostgreSQL mirror status") as current:
        mirror = render_mirror(lake)
        current.result = "read"
    console.print(mirror)
    render_commands(try_commands(), console=console)
    if serve:
        from sandbox.demo.serving import serve_forever

        serve_forever(stack, sandbox=sandbox, home=home, console=console)


def _telemetry_line(recorded: dict[str, Any]) -> str:
    return "; ".join(
        f"{key} {recorded[key].get('decoded', 0):,} datagrams, {recorded[key].get('laps', 0)} laps"
        for key in ("game", "server")
        if key in recorded
    )
