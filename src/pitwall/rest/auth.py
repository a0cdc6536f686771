"""HTTP clients per auth kind: httpx auth flows, and authlib's OAuth2 client for OAuth2."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping
from typing import Any
from urllib.parse import urljoin

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from pydantic import SecretStr

from pitwall.rest.secrets_store import Redactor, resolve_secret
from pitwall.rest.spec import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    NoAuth,
    OAuth2ClientCredentials,
    SourceSpec,
)


class BearerTokenAuth(httpx.Auth):
    """A static bearer token (httpx has no built-in flow for it)."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request


class ApiKeyFlow(httpx.Auth):
    """An API key in a header or in the query string (set once, even on next-page URLs)."""

    def __init__(self, key: SecretStr, *, location: str, name: str) -> None:
        self._key, self._location, self._name = key, location, name

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        value = self._key.get_secret_value()
        if self._location == "header":
            request.headers[self._name] = value
        else:
            request.url = request.url.copy_set_param(self._name, value)
        yield request


class SourceHttp:
    """The httpx client of one source, its secrets' redactor, and OAuth2 token handling."""

    def __init__(
        self, name: str, spec: SourceSpec, *, credentials: Callable[[], Mapping[str, Any]]
    ) -> None:
        self.name = name
        timeout = httpx.Timeout(
            spec.http.timeout_seconds, connect=spec.http.connect_timeout_seconds
        )
        options: dict[str, Any] = {
            "timeout": timeout,
            "headers": {"Accept": "application/json", **spec.http.headers},
            "follow_redirects": True,
        }
        auth = spec.auth
        secrets: list[SecretStr] = []

        def secret(ref: Any, field: str) -> SecretStr:
            value = resolve_secret(ref, credentials=credentials, what=f"{name}: auth.{field}")
            secrets.append(value)
            return value

        self.oauth: OAuth2Client | None = None
        if isinstance(auth, OAuth2ClientCredentials):
            self.oauth = OAuth2Client(
                client_id=secret(auth.client_id, "client_id").get_secret_value(),
                client_secret=secret(auth.client_secret, "client_secret").get_secret_value(),
                token_endpoint=urljoin(spec.base_url.rstrip("/") + "/", auth.token_url),
                token_endpoint_auth_method=auth.auth_method,
                grant_type="client_credentials",
                scope=auth.scope,
                leeway=auth.refresh_leeway_seconds,
                update_token=self._on_new_token,
                **options,
            )
            self.client: httpx.Client = self.oauth
        else:
            flow: httpx.Auth | None = None
            if isinstance(auth, BearerAuth):
                flow = BearerTokenAuth(secret(auth.token, "token"))
            elif isinstance(auth, ApiKeyAuth):
                flow = ApiKeyFlow(secret(auth.key, "key"), location=auth.location, name=auth.name)
            elif isinstance(auth, BasicAuth):
                user, password = (
                    secret(auth.username, "username"),
                    secret(auth.password, "password"),
                )
                flow = httpx.BasicAuth(user.get_secret_value(), password.get_secret_value())
            else:
                assert isinstance(auth, NoAuth)
            self.client = httpx.Client(auth=flow, **options)
        self.redact = Redactor(secrets)
        self.tokens_fetched = 0

    def _on_new_token(self, token: Mapping[str, Any], **_: Any) -> None:
        # called by authlib when it refreshes an expiring token before a request
        self.tokens_fetched += 1
        self.redact.add(SecretStr(str(token.get("access_token", ""))))

    def ensure_token(self, *, force: bool = False) -> None:
        """Fetch an OAuth2 token when there is none yet, or ``force`` (after a 401)."""
        if self.oauth is None or (self.oauth.token and not force):
            return
        token = self.oauth.fetch_token(grant_type="client_credentials")
        self._on_new_token(token)

    def close(self) -> None:
        self.client.close()
