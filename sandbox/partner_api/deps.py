"""FastAPI dependencies of the sandbox: state and request authentication."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, status

from sandbox.partner_api.state import SandboxState

AuthKind = Literal["oauth2", "bearer", "api_key_header", "api_key_query", "basic"]


def get_state(request: Request) -> SandboxState:
    return request.app.state.sandbox


State = Annotated[SandboxState, Depends(get_state)]


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


def authenticate(request: Request, state: State) -> tuple[AuthKind, str]:
    """Which credential kind the request carries (and the OAuth2 token), or 401."""
    creds = state.credentials
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value:
        if _same(value, creds.bearer_token):
            return "bearer", value
        if state.tokens.is_valid(value):
            return "oauth2", value
        raise _unauthorized('Bearer error="invalid_token"')
    if scheme.lower() == "basic" and value:
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise _unauthorized('Basic realm="partner"') from None
        if _same(user, creds.username) and _same(password, creds.password):
            return "basic", ""
        raise _unauthorized('Basic realm="partner"')
    if key := request.headers.get("x-api-key"):
        if _same(key, creds.api_key):
            return "api_key_header", ""
        raise _unauthorized("ApiKey")
    if key := request.query_params.get("api_key"):
        if _same(key, creds.api_key):
            return "api_key_query", ""
        raise _unauthorized("ApiKey")
    raise _unauthorized('Bearer realm="partner"')


def _unauthorized(challenge: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, "not authenticated", {"WWW-Authenticate": challenge}
    )


Caller = Annotated[tuple[AuthKind, str], Depends(authenticate)]
