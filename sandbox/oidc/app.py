"""HTTP face of the sandbox issuer, laid out like a Keycloak realm.

- ``GET  /realms/<realm>/.well-known/openid-configuration``: discovery
- ``GET  /realms/<realm>/protocol/openid-connect/certs``: JWKS (RS256 and ES256 keys)
- ``POST /realms/<realm>/protocol/openid-connect/token``: client-credentials grant
  (client_secret_basic or client_secret_post); ``scope`` may name realm roles to narrow them,
  ``ttl`` ask for a lifetime up to a day (a sandbox extension).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from sandbox.oidc.issuer import SandboxIssuer
from sandbox.oidc.keys import SIGNING_ALGS

_basic = HTTPBasic(auto_error=False)


def issuer_url(request: Request, realm: str) -> str:
    """The issuer identifier as seen by the caller (Keycloak derives it from the request too)."""
    return f"{str(request.base_url).rstrip('/')}/realms/{realm}"


def _oauth_error(status: int, error: str, description: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="token"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def create_oidc_app(issuer: SandboxIssuer) -> FastAPI:
    app = FastAPI(title="Pitwall sandbox OIDC issuer", docs_url=None, redoc_url=None)
    realm = APIRouter(prefix=f"/realms/{issuer.realm}")

    @realm.get("/.well-known/openid-configuration")
    def discovery(request: Request) -> dict[str, Any]:
        base = issuer_url(request, issuer.realm)
        return {
            "issuer": base,
            "jwks_uri": f"{base}/protocol/openid-connect/certs",
            "token_endpoint": f"{base}/protocol/openid-connect/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "id_token_signing_alg_values_supported": list(SIGNING_ALGS),
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    @realm.get("/protocol/openid-connect/certs")
    def jwks() -> JSONResponse:
        return JSONResponse(issuer.keys.jwks(), headers={"Cache-Control": "no-cache"})

    @realm.post("/protocol/openid-connect/token")
    def token(
        request: Request,
        grant_type: Annotated[str, Form()],
        basic: Annotated[HTTPBasicCredentials | None, Depends(_basic)],
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
        scope: Annotated[str, Form()] = "",
        ttl: Annotated[int | None, Form(ge=1, description="lifetime asked for (s)")] = None,
    ) -> JSONResponse:
        if grant_type != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type", f"grant {grant_type!r}")
        cid, secret = (basic.username, basic.password) if basic else (client_id, client_secret)
        client = issuer.authenticate(cid or "", secret or "")
        if client is None:
            return _oauth_error(401, "invalid_client", "unknown client or bad secret")
        try:
            body = issuer.issue(
                client,
                issuer_url=issuer_url(request, issuer.realm),
                requested=scope.split(),
                ttl_s=ttl,
            )
        except PermissionError as exc:
            return _oauth_error(400, "invalid_scope", str(exc))
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    app.include_router(realm)
    return app
