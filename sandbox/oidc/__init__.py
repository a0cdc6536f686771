"""Sandbox OIDC issuer standing in for Keycloak: discovery, JWKS, client-credentials tokens."""

from sandbox.oidc.client import discover, mint_token
from sandbox.oidc.issuer import (
    DEFAULT_AUDIENCE,
    DEFAULT_REALM,
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ES256_CLIENT_ID,
    ROLES,
    OidcClient,
    SandboxIssuer,
)
from sandbox.oidc.keys import KeyRing, SigningKey
from sandbox.oidc.server import serve_oidc

__all__ = [
    "DEFAULT_AUDIENCE",
    "DEFAULT_REALM",
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_ES256_CLIENT_ID",
    "ROLES",
    "KeyRing",
    "OidcClient",
    "SandboxIssuer",
    "SigningKey",
    "discover",
    "mint_token",
    "serve_oidc",
]
