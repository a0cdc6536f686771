"""``pitwall token``: print an access token for the read API (client-credentials grant).

Only the token goes to stdout (``TOKEN=$(pitwall token)``); its lifetime, ``--claims`` and
every log line go to stderr. The issuer and client come from ``PITWALL_OIDC_*`` or
``conf/local/oidc-client.env`` (see :mod:`pitwall.oidc_client`), or the options below.
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated

import typer

from pitwall.oidc_client import fetch_token, parse_duration, read_oidc_client


def token_command(
    role: Annotated[
        list[str] | None,
        typer.Option("--role", "-r", help="realm role to request (repeatable); default: reader"),
    ] = None,
    ttl: Annotated[
        str | None,
        typer.Option(
            help="lifetime to ask for, e.g. 8h or 3600 (the sandbox issuer grants up to 1d; "
            "Keycloak uses the client's own setting)",
            show_default=False,
        ),
    ] = None,
    issuer: Annotated[str | None, typer.Option(help="OIDC issuer URL", show_default=False)] = None,
    client_id: Annotated[
        str | None, typer.Option(help="confidential client", show_default=False)
    ] = None,
    claims: Annotated[bool, typer.Option("--claims", help="print the claims on stderr")] = False,
) -> None:
    """Print an access token from the OIDC issuer (the client secret comes from the env/conf)."""
    import httpx
    import jwt

    from pitwall.settings import get_settings

    settings = read_oidc_client(get_settings().home)
    overrides = {"issuer": issuer, "client_id": client_id}
    settings = settings.model_copy(update={k: v for k, v in overrides.items() if v})
    try:
        ttl_s = parse_duration(ttl) if ttl else None
        grant = fetch_token(settings, roles=role or ["reader"], ttl_s=ttl_s)
    except ValueError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    except httpx.HTTPError as exc:
        typer.secho(f"no token from {settings.issuer}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    decoded = jwt.decode(grant.access_token, options={"verify_signature": False})
    lifetime = grant.expires_in_s
    if lifetime is None and "exp" in decoded:
        lifetime = int(decoded["exp"]) - int(dt.datetime.now(dt.UTC).timestamp())
    if lifetime is not None:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=lifetime)
        typer.echo(
            f"token of {settings.client_id}, valid {dt.timedelta(seconds=lifetime)} "
            f"(until {until:%Y-%m-%d %H:%M:%S} UTC); longer: pitwall token --ttl 8h",
            err=True,
        )
        if ttl_s is not None and lifetime < ttl_s:
            typer.echo(f"the issuer granted {lifetime}s, not the {ttl_s}s asked for", err=True)
    if claims:
        typer.echo(decoded, err=True)
    sys.stdout.write(grant.access_token + "\n")
