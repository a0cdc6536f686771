"""What ``make demo`` serves after its job: the read API, the dashboards, kedro-viz."""

from __future__ import annotations

import functools
import subprocess  # nosec B404
import sys
import threading
import time
from contextlib import ExitStack
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rich.console import Console

from pitwall.demo.services import DEMO_PORTS, Sandbox, check_ports_free


def build_viz(home: Path) -> Path:
    """``kedro viz build`` into data/viz (a static site)."""
    kedro = Path(sys.executable).with_name("kedro")
    subprocess.run(  # nosec B603
        [str(kedro), "viz", "build"], cwd=home, check=True, capture_output=True
    )
    return home / "build"


def serve_static(stack: ExitStack, directory: Path, *, port: int) -> str:
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stack.callback(server.shutdown)
    return f"http://127.0.0.1:{port}/"


def serve_forever(stack: ExitStack, *, sandbox: Sandbox, home: Path, console: Console) -> None:
    from api.serve import serve_api
    from api.settings import ApiSettings
    from sandbox.oidc import mint_token

    check_ports_free(["api", "dashboards", "viz"])
    settings = ApiSettings(oidc_issuer=sandbox.oidc_issuer)
    api_url = stack.enter_context(serve_api(DEMO_PORTS["api"], settings=settings))
    with console.status("building kedro-viz..."):
        viz_url = serve_static(stack, build_viz(home), port=DEMO_PORTS["viz"])
    token = mint_token(sandbox.oidc_issuer, roles=["reader", "ingest"])
    console.print()
    console.print("[bold green]Pitwall is serving[/bold green] (Ctrl-C to stop)")
    console.print(f"  read API      {api_url}/docs")
    console.print(f"  kedro-viz     {viz_url}")
    console.print(f"  OIDC issuer   {sandbox.oidc_issuer}")
    console.print(f"  partner API   {sandbox.partner_api}   website {sandbox.website}")
    console.print("  token         uv run pitwall token")
    console.print(f'  curl -H "Authorization: Bearer {token}" {api_url}/tables', soft_wrap=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        console.print("stopping...")
