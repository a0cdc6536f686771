"""The sandbox issuer's state: realm, keys, registered clients and Keycloak-shaped tokens."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from sandbox.oidc.keys import KeyRing, SigningAlg

DEFAULT_REALM = "pitwall"
DEFAULT_AUDIENCE = "pitwall-api"
MAX_TOKEN_LIFETIME_S = 86_400  # the longest lifetime a token request may ask for (``ttl``)
ROLES: tuple[str, ...] = ("reader", "ingest", "editor", "admin")

# Sandbox-only credentials of the demo clients (a stand-in for Keycloak; real client secrets
# live in conf/local/credentials.yml or environment variables).
DEMO_CLIENT_ID = "pitwall-demo"
DEMO_ES256_CLIENT_ID = "pitwall-demo-es256"
DEMO_CLIENT_SECRET = "pitwall-demo-secret"  # nosec B105


@dataclass(frozen=True)
class OidcClient:
    """A confidential client allowed the client-credentials grant.

    Like a Keycloak service account, it holds realm roles; a token request may narrow them by
    naming roles in ``scope``. ``alg`` is the client's access-token signature algorithm.
    """

    client_id: str
    client_secret: str
    roles: frozenset[str] = frozenset(ROLES)
    audience: str = DEFAULT_AUDIENCE
    alg: SigningAlg = "RS256"


def demo_clients() -> dict[str, OidcClient]:
    return {
        c.client_id: c
        for c in (
            OidcClient(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET),
            OidcClient(DEMO_ES256_CLIENT_ID, DEMO_CLIENT_SECRET, alg="ES256"),
        )
    }


@dataclass
class SandboxIssuer:
    """Keys, clients and token policy of one realm.

    Tests keep a handle on it to forge tokens (``sign``) and rotate keys while it is served.
    """

    realm: str = DEFAULT_REALM
    keys: KeyRing = field(default_factory=KeyRing.generate)
    clients: dict[str, OidcClient] = field(default_factory=demo_clients)
    token_lifetime_s: int = 300

    def add_client(self, client: OidcClient) -> OidcClient:
        self.clients[client.client_id] = client
        return client

    def authenticate(self, client_id: str, client_secret: str) -> OidcClient | None:
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client.client_secret, client_secret):
            return None
        return client

    def sign(
        self,
        claims: Mapping[str, Any],
        *,
        alg: SigningAlg = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign arbitrary claims with the current key of ``alg`` (its ``kid`` in the header)."""
        key = self.keys.current(alg)
        header = {"kid": key.kid, **(headers or {})}
        return jwt.encode(dict(claims), key.private_key, algorithm=alg, headers=header)

    def access_token_claims(
        self,
        client: OidcClient,
        *,
        issuer_url: str,
        roles: Iterable[str],
        scope: str = "",
        lifetime_s: int | None = None,
    ) -> dict[str, Any]:
        """Claims of an access token for ``client``, shaped like Keycloak's."""
        now = int(time.time())
        return {
            "exp": now + (lifetime_s or self.token_lifetime_s),
            "iat": now,
            "nbf": now,
            "jti": str(uuid.uuid4()),
            "iss": issuer_url,
            "aud": client.audience,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer_url}#{client.client_id}")),
            "typ": "Bearer",
            "azp": client.client_id,
            "acr": "1",
            "realm_access": {"roles": sorted(roles)},
            "scope": scope,
            "clientId": client.client_id,
            "preferred_username": f"service-account-{client.client_id}",
        }

    def issue(
        self,
        client: OidcClient,
        *,
        issuer_url: str,
        requested: Iterable[str] = (),
        ttl_s: int | None = None,
    ) -> dict[str, Any]:
        """A token response (RFC 6749 §5.1) for the client-credentials grant.

        ``ttl_s`` asks for a lifetime other than ``token_lifetime_s`` (at most a day): a
        sandbox convenience for the demo, which serves for hours (Keycloak has no such knob).

        Raises:
            PermissionError: a requested role is not one of the client's roles.
        """
        wanted = set(requested)
        refused = wanted - client.roles
        if refused:
            raise PermissionError(f"roles not granted to {client.client_id}: {sorted(refused)}")
        roles = wanted or set(client.roles)
        scope = " ".join(sorted(wanted))
        lifetime = min(ttl_s or self.token_lifetime_s, MAX_TOKEN_LIFETIME_S)
        claims = self.access_token_claims(
            client, issuer_url=issuer_url, roles=roles, scope=scope, lifetime_s=lifetime
        )
        return {
            "access_token": self.sign(claims, alg=client.alg),
            "token_type": "Bearer",  # nosec B105
            "expires_in": lifetime,
            "scope": scope,
        }
