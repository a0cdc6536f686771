"""``mint_token``: get an access token from an OIDC issuer with the client-credentials grant."""

from __future__ import annotations

from collections.abc import Iterable

import httpx

from sandbox.oidc.issuer import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET


def discover(issuer_url: str, *, timeout_s: float = 10.0) -> dict[str, object]:
    """The issuer's discovery document (``/.well-known/openid-configuration``)."""
    url = f"{issuer_url.rstrip('/')}/.well-known/openid-configuration"
    response = httpx.get(url, timeout=timeout_s)
    response.raise_for_status()
    return response.json()


def mint_token(
    issuer_url: str,
    *,
    roles: Iterable[str] = (),
    client_id: str = DEMO_CLIENT_ID,
    client_secret: str = DEMO_CLIENT_SECRET,
    timeout_s: float = 10.0,
) -> str:
    """An access token for ``client_id`` carrying ``roles`` (all the client's roles if empty).

    Works against the sandbox issuer and, given a client whose service account holds the roles,
    against Keycloak (which ignores role names in ``scope``).
    """
    token_endpoint = str(discover(issuer_url, timeout_s=timeout_s)["token_endpoint"])
    form = {"grant_type": "client_credentials"}
    scope = " ".join(roles)
    if scope:
        form["scope"] = scope
    response = httpx.post(
        token_endpoint, data=form, auth=(client_id, client_secret), timeout=timeout_s
    )
    response.raise_for_status()
    return str(response.json()["access_token"])
