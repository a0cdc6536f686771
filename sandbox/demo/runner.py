"""``pitwall demo``: the whole platform on embedded defaults, end to end."""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack

from rich.console import Console

from pitwall.lake.layout import get_lake
from pitwall.settings import get_settings
from sandbox.demo.services import start_sandbox
from sandbox.demo.steps import (
    record_telemetry,
    run_kedro,
    seed_landing,
    write_sandbox_credentials,
)
from sandbox.demo.summary import render_mirror, render_summary

log = logging.getLogger(__name__)
TRY_QUERY = "SELECT track_id, name, length_m FROM clean.tracks ORDER BY length_m DESC"


def run_demo(
    *, serve: bool, telemetry_seconds: float = 20.0, console: Console | None = None
) -> None:
    """Start the sandbox, land every source, mirror, print the summary, optionally serve."""
    console = console or Console()
    home = get_settings().home
    lake = get_lake()
    started = time.perf_counter()
    with ExitStack() as stack:
        with console.status("starting PostgreSQL and the sandbox services..."):
            sandbox = start_sandbox(stack)
        console.print(
            f"[green]✓[/green] PostgreSQL, partner API {sandbox.partner_api}, "
            f"website {sandbox.website}, OIDC issuer {sandbox.oidc_issuer}"
        )
        write_sandbox_credentials(home)
        copied = seed_landing(home)
        console.print(f"[green]✓[/green] landing zone seeded with {copied} sample CSV file(s)")
        with console.status(
            f"recording {telemetry_seconds:.0f} s of Assetto Corsa telemetry "
            "(fake game + fake acServer -> capture daemons)..."
        ):
            recorded = record_telemetry(home, seconds=telemetry_seconds)
        console.print(f"[green]✓[/green] telemetry captured: {_telemetry_line(recorded)}")
        log_file = home / "data" / "run" / "kedro-run.log"
        with console.status(
            "kedro run: ingest_csv, ingest_api, ingest_scraper, ingest_assetto, mirror_postgres..."
        ):
            run_kedro(home, sandbox=sandbox, log_file=log_file)
        console.print(f"[green]✓[/green] kedro run completed (log: {log_file.relative_to(home)})")
        render_summary(lake, console=console)
        render_mirror(lake, console=console)
        console.print(f"[bold]Try:[/bold] uv run pitwall sql {TRY_QUERY!r}")
        console.print(f"[dim]demo job finished in {time.perf_counter() - started:.0f} s[/dim]")
        if serve:
            from sandbox.demo.serving import serve_forever

            serve_forever(stack, sandbox=sandbox, home=home, console=console)


def _telemetry_line(recorded: dict) -> str:
    return ", ".join(
        f"{key}: {recorded[key].get('decoded', 0):,} datagrams, {recorded[key].get('laps', 0)} laps"
        for key in ("game", "server")
        if key in recorded
    )
