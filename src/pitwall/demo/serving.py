"""What ``make demo`` serves after its job: the read API, the dashboards, kedro-viz."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from pitwall.demo.services import DEMO_PORTS, Sandbox, check_ports_free


def serve_forever(stack: ExitStack, *, sandbox: Sandbox, home: Path, console: Console) -> None:
    """Serve the API (behind the sandbox OIDC issuer), the marimo apps and the lineage."""
    from api.serve import serve_api
    from api.settings import ApiSettings
    from pitwall.dashboards.serve import serve_dashboards
    from sandbox.oidc import SandboxIssuer

    check_ports_free(["api", "dashboards", "viz"])
    settings = ApiSettings(oidc_issuer=sandbox.oidc_issuer)
    api_url = stack.enter_context(serve_api(DEMO_PORTS["api"], settings=settings))
    with console.status("building kedro-viz and starting the marimo apps..."):
        urls = stack.enter_context(
            serve_dashboards(apps_port=DEMO_PORTS["dashboards"], lineage_port=DEMO_PORTS["viz"])
        )
    lifetime_min = SandboxIssuer.token_lifetime_s // 60
    console.print()
    console.print("[bold green]Pitwall is serving[/bold green] (Ctrl-C to stop)")
    console.print(f"  read API       {api_url}/docs")
    for name, url in urls.apps.items():
        console.print(f"  {name:<14} {url}")
    console.print(f"  kedro-viz      {urls.lineage or 'not built'}")
    console.print(f"  OIDC issuer    {sandbox.oidc_issuer}")
    console.print(f"  partner API    {sandbox.partner_api}   website {sandbox.website}")
    console.print(
        f"  a token        TOKEN=$(uv run pitwall token --ttl 8h)   "
        f"(tokens last {lifetime_min} min unless --ttl asks for more, up to 1d)"
    )
    console.print(f'  curl -H "Authorization: Bearer $TOKEN" {api_url}/tables', soft_wrap=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping...")
