"""The read API's OIDC client: which issuer and client ``pitwall token`` asks for a token.

Settings come from ``PITWALL_OIDC_*`` environment variables (the issuer also from
``PITWALL_API_OIDC_ISSUER``, the one the API trusts), else from ``conf/local/oidc-client.env``
(git-ignored; ``make demo`` writes the sandbox issuer's demo client there). Nothing here knows
the sandbox: a production deployment names its Keycloak realm and a confidential client.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_ISSUER = "http://127.0.0.1:8803/realms/pitwall"
CLIENT_FILE = Path("conf") / "local" / "oidc-client.env"
_DURATION = re.compile(r"^(\d+)\s*([smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class OidcClientSettings(BaseSettings):
    """Issuer URL and confidential client of ``pitwall token``."""

    model_config = SettingsConfigDict(extra="ignore")

    issuer: str = Field(
        DEMO_ISSUER, validation_alias=AliasChoices("PITWALL_OIDC_ISSUER", "PITWALL_API_OIDC_ISSUER")
    )
    client_id: str = Field("pitwall-demo", validation_alias="PITWALL_OIDC_CLIENT_ID")
    client_secret: SecretStr | None = Field(None, validation_alias="PITWALL_OIDC_CLIENT_SECRET")


@dataclass(frozen=True)
class TokenGrant:
    """An access token and how long the issuer says it lasts."""

    access_token: str
    expires_in_s: int | None


def read_oidc_client(home: Path) -> OidcClientSettings:
    """The client settings: environment first, then ``<home>/conf/local/oidc-client.env``."""
    return OidcClientSettings(_env_file=home / CLIENT_FILE)  # type: ignore[call-arg]


def write_oidc_client(home: Path, *, issuer: str, client_id: str, client_secret: str) -> Path:
    """Store the client settings for ``pitwall token`` (mode 0600, replaced atomically)."""
    path = home / CLIENT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# pitwall token: the OIDC issuer and client (written by make demo; git-ignored)",
        f"PITWALL_OIDC_ISSUER={issuer}",
        f"PITWALL_OIDC_CLIENT_ID={client_id}",
        f"PITWALL_OIDC_CLIENT_SECRET={client_secret}",
    ]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".oidc-client.")
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path


def parse_duration(text: str) -> int:
    """Seconds in ``90``, ``90s``, ``30m``, ``8h`` or ``1d``."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not a duration: {text!r} (e.g. 3600, 30m, 8h, 1d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def fetch_token(
    settings: OidcClientSettings,
    *,
    roles: Iterable[str] = (),
    ttl_s: int | None = None,
    timeout_s: float = 10.0,
) -> TokenGrant:
    """A token from the issuer's token endpoint (client-credentials grant).

    ``roles`` go in ``scope`` (the sandbox narrows the token to them; Keycloak grants the
    client's own roles). ``ttl_s`` is a wish the sandbox issuer honours and Keycloak ignores:
    compare :attr:`TokenGrant.expires_in_s`.

    Raises:
        ValueError: no client secret is configured.
        httpx.HTTPError: the issuer cannot be reached or refuses.
    """
    if settings.client_secret is None:
        raise ValueError(
            "no OIDC client secret: set PITWALL_OIDC_CLIENT_SECRET or write it to "
            f"{CLIENT_FILE} (make demo does)"
        )
    issuer = settings.issuer.rstrip("/")
    discovery = httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=timeout_s)
    discovery.raise_for_status()
    form = {"grant_type": "client_credentials"}
    if scope := " ".join(roles):
        form["scope"] = scope
    if ttl_s is not None:
        form["ttl"] = str(ttl_s)
    response = httpx.post(
        str(discovery.json()["token_endpoint"]),
        data=form,
        auth=(settings.client_id, settings.client_secret.get_secret_value()),
        timeout=timeout_s,
    )
    response.raise_for_status()
    body = response.json()
    expires = body.get("expires_in")
    return TokenGrant(str(body["access_token"]), int(expires) if expires is not None else None)
