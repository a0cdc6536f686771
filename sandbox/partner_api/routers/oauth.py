"""OAuth2 token endpoint: client credentials grant, short-lived opaque tokens."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Annotated

import orjson
from fastapi import APIRouter, Form, Request, Response

from sandbox.partner_api.deps import State

router = APIRouter(tags=["oauth2"])


def _error(code: str, status: int) -> Response:
    body = orjson.dumps({"error": code})
    headers = {"WWW-Authenticate": 'Basic realm="oauth"'} if status == 401 else {}
    return Response(body, status, headers=headers, media_type="application/json")


@router.post("/oauth/token")
def issue_token(
    request: Request,
    state: State,
    grant_type: Annotated[str, Form()],
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
) -> Response:
    """RFC 6749 section 4.4: client_secret_basic or client_secret_post."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:]).decode()
        except (binascii.Error, UnicodeDecodeError):
            return _error("invalid_client", 401)
        client_id, _, client_secret = raw.partition(":")
    if grant_type != "client_credentials":
        return _error("unsupported_grant_type", 400)
    expected = state.credentials
    if not (
        client_id
        and client_secret
        and secrets.compare_digest(client_id.encode(), expected.client_id.encode())
        and secrets.compare_digest(client_secret.encode(), expected.client_secret.encode())
    ):
        return _error("invalid_client", 401)
    token, ttl = state.tokens.issue()
    body = {"access_token": token, "token_type": "Bearer", "expires_in": ttl}  # nosec B105
    return Response(
        orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"}
    )
