"""What ``make demo`` serves after its job: the read API, the dashboards, kedro-viz."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from sandbox.demo.progress import step
from sandbox.demo.services import DEMO_PORTS, Sandbox, check_ports_free
from sandbox.demo.summary import Command, pitwall_command, render_commands


def serve_forever(stack: ExitStack, *, sandbox: Sandbox, home: Path, console: Console) -> None:
    """Serve the API (behind the sandbox OIDC issuer), the marimo apps and the lineage until
    Ctrl-C or SIGTERM (the caller's stack stops them)."""
    from api.serve import serve_api
    from api.settings import ApiSettings
    from pitwall.dashboards.serve import serve_dashboards
    from sandbox.oidc import DEMO_CLIENT_SECRET, SandboxIssuer

    check_ports_free(["api", "dashboards", "viz"])
    settings = ApiSettings(oidc_issuer=sandbox.oidc_issuer)
    with step(console, "read API") as current:
        api_url = stack.enter_context(serve_api(DEMO_PORTS["api"], settings=settings))
        current.result = api_url
    with step(console, "kedro-viz build and the marimo apps") as current:
        urls = stack.enter_context(
            serve_dashboards(
                apps_port=DEMO_PORTS["dashboards"], lineage_port=DEMO_PORTS["viz"], home=home
            )
        )
        current.result = "ready"
    console.print()
    console.print("[bold green]Pitwall is serving[/bold green] (Ctrl-C to stop)")
    console.print(f"  read API         {api_url}/docs")
    for name, url in urls.apps.items():
        console.print(f"  {name:<16} {url}")
    console.print(f"  kedro-viz        {urls.lineage or 'not built'}")
    console.print(f"  OIDC issuer      {sandbox.oidc_issuer}")
    console.print(f"  partner API      {sandbox.partner_api}")
    console.print(f"  website          {sandbox.website}")
    render_commands(
        [
            Command(
                "the sandbox client's secret (a demo value)",
                f"export PITWALL_OIDC_CLIENT_SECRET={DEMO_CLIENT_SECRET}",
            ),
            Command(
                "a token for the read API, valid 8 h (without --ttl: "
                f"{SandboxIssuer.token_lifetime_s // 60} min; up to 1d)",
                f"TOKEN=$({pitwall_command()} token --issuer {sandbox.oidc_issuer} --ttl 8h)",
            ),
            Command(
                "call the API with it",
                f'curl -H "Authorization: Bearer $TOKEN" {api_url}/tables',
            ),
        ],
        console=console,
    )
    while True:
        time.sleep(3600)
