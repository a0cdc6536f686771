"""The outside world of the demo: PostgreSQL and the sandbox services, on fixed demo ports."""

from __future__ import annotations

import os
import socket
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from pitwall.settings import get_settings
from sandbox.demo.processes import postmaster_pid, stop_postgres

BASE_PORTS = {
    "partner_api": 8801,
    "website": 8802,
    "oidc": 8803,
    "api": 8000,
    "dashboards": 2718,
    "viz": 4141,
}
# PITWALL_DEMO_PORT_OFFSET shifts every port (e.g. to run a second demo beside the first).
DEMO_PORTS = {
    k: v + int(os.environ.get("PITWALL_DEMO_PORT_OFFSET", "0")) for k, v in BASE_PORTS.items()
}


@dataclass(frozen=True)
class Sandbox:
    """Where the demo's services answer."""

    pg_dsn: str
    partner_api: str
    website: str
    oidc_issuer: str


def check_ports_free(names: list[str]) -> None:
    """Fail early, naming the port, when a demo port is taken (e.g. another demo running)."""
    for name in names:
        port = DEMO_PORTS[name]
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError as exc:
                raise RuntimeError(
                    f"port {port} ({name}) is already in use: stop the other process "
                    "(another `make demo`?) or set PITWALL_DEMO_PORT_OFFSET, and try again"
                ) from exc


def start_sandbox(stack: ExitStack, *, home: Path) -> Sandbox:
    """Start PostgreSQL (embedded unless PITWALL_PG_DSN) and the sandbox services; the stack
    stops them all, the embedded server included when this demo started it."""
    from pitwall.oidc_client import write_oidc_client
    from pitwall.postgres.server import resolve_admin_dsn
    from sandbox.oidc import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, serve_oidc
    from sandbox.partner_api import serve_partner_api
    from sandbox.website import serve_website

    check_ports_free(["partner_api", "website", "oidc"])
    pgdata = home / "data" / "pg"
    if not get_settings().pg_dsn and postmaster_pid(pgdata) is None:
        stack.callback(stop_postgres, pgdata)
    dsn = resolve_admin_dsn()
    # every child (kedro run, kedro viz build, marimo) uses this server by its DSN, so none
    # of them registers itself with the embedded server's handle list
    os.environ["PITWALL_PG_DSN"] = dsn
    get_settings.cache_clear()
    partner = stack.enter_context(serve_partner_api(DEMO_PORTS["partner_api"]))
    website = stack.enter_context(serve_website(DEMO_PORTS["website"]))
    issuer = stack.enter_context(serve_oidc(DEMO_PORTS["oidc"]))
    # `pitwall token` (another shell) reads the issuer and the demo client from conf/local
    write_oidc_client(
        home,
        issuer=issuer,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    return Sandbox(pg_dsn=dsn, partner_api=partner, website=website, oidc_issuer=issuer)
