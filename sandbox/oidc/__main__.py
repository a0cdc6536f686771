"""``python -m sandbox.oidc [--port 8803]``: serve the sandbox issuer until Ctrl-C."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from sandbox.oidc.issuer import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, ROLES
from sandbox.oidc.server import serve_oidc

DEMO_PORT = 8803


def main(
    port: Annotated[int, typer.Option(help="TCP port (0 = ephemeral)")] = DEMO_PORT,
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
) -> None:
    """Serve the sandbox OIDC issuer (discovery, JWKS, client-credentials tokens)."""
    with serve_oidc(port, host=host) as issuer_url:
        print(f"sandbox OIDC issuer: {issuer_url}")
        roles = " ".join(ROLES)
        print(f"demo client: {DEMO_CLIENT_ID} / {DEMO_CLIENT_SECRET} (roles {roles})")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    typer.run(main)
