"""``python -m sandbox.partner_api``: serve the sandbox partner API until Ctrl-C."""

from __future__ import annotations

import logging
import os
import sys
from typing import Annotated

import typer

from sandbox.partner_api.credentials import partner_api_env
from sandbox.partner_api.faults import Faults
from sandbox.partner_api.server import (
    CONFIG_ENV,
    SandboxConfig,
    bind_socket,
    build_server,
    config_from_json,
)

app = typer.Typer(add_completion=False)


@app.command()
def main(
    port: Annotated[int, typer.Option(help="TCP port (0: ephemeral)")] = 8801,
    host: str = "127.0.0.1",
    seed: int = 7,
    token_ttl_seconds: float = 60.0,
    faults: Annotated[str, typer.Option(help='Faults as JSON: {"server_error": 0.1}')] = "{}",
    print_env: Annotated[bool, typer.Option(help="print the env vars the pipeline reads")] = True,
) -> None:
    logging.basicConfig(level=logging.INFO)
    given = os.environ.get(CONFIG_ENV)
    config = (
        config_from_json(given)
        if given
        else SandboxConfig(
            seed=seed,
            faults=Faults.model_validate_json(faults),
            token_ttl_seconds=token_ttl_seconds,
        )
    )
    sock = bind_socket(host, port)
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    typer.echo(f"sandbox partner API on {base_url}")  # first line: read by serve_partner_api
    if print_env:
        for name, value in partner_api_env(base_url, config.credentials).items():
            typer.echo(f"export {name}={value}")
    sys.stdout.flush()
    build_server(config).run(sockets=[sock])


if __name__ == "__main__":
    app()
