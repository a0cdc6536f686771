"""``pitwall token``: print an access token for the read API (client-credentials grant).

Prints only the token on stdout (``TOKEN=$(pitwall token)``); ``--claims`` shows what it
carries on stderr.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

DEMO_ISSUER = "http://127.0.0.1:8803/realms/pitwall"


def token_command(
    role: Annotated[
        list[str] | None,
        typer.Option("--role", "-r", help="realm role to request (repeatable); default: reader"),
    ] = None,
    issuer: Annotated[
        str,
        typer.Option(envvar="PITWALL_API_OIDC_ISSUER", help="OIDC issuer URL"),
    ] = DEMO_ISSUER,
    client_id: Annotated[
        str, typer.Option(envvar="PITWALL_OIDC_CLIENT_ID", help="confidential client")
    ] = "pitwall-demo",
    client_secret: Annotated[
        str | None,
        typer.Option(
            envvar="PITWALL_OIDC_CLIENT_SECRET",
            help="client secret; the sandbox demo client's when unset",
            show_default=False,
        ),
    ] = None,
    claims: Annotated[bool, typer.Option("--claims", help="print the claims on stderr")] = False,
) -> None:
    """Print an access token from the OIDC issuer (the sandbox issuer by default)."""
    import httpx
    import jwt

    from sandbox.oidc import DEMO_CLIENT_SECRET, mint_token

    try:
        token = mint_token(
            issuer,
            roles=role or ["reader"],
            client_id=client_id,
            client_secret=client_secret or DEMO_CLIENT_SECRET,
        )
    except httpx.HTTPError as exc:
        typer.secho(f"no token from {issuer}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    if claims:
        decoded = jwt.decode(token, options={"verify_signature": False})
        typer.echo(decoded, err=True)
    sys.stdout.write(token + "\n")
