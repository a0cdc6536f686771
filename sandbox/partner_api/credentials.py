"""The sandbox's accepted credentials and its OAuth2 token store."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

ENV_PREFIX = "PITWALL_PARTNER_API_"


@dataclass(frozen=True)
class SandboxCredentials:
    """Everything the sandbox accepts. Tests pass random values; the demo uses these defaults.

    They are sandbox-only values (not secrets); real partner secrets live in
    ``conf/local/credentials.yml`` or in environment variables.
    """

    client_id: str = "pitwall-demo"
    client_secret: str = "sandbox-client-secret"
    bearer_token: str = "sandbox-bearer-token"
    api_key: str = "sandbox-api-key"
    username: str = "pitwall"
    password: str = "sandbox-password"

    @classmethod
    def random(cls) -> SandboxCredentials:
        return cls(
            client_id=f"client-{secrets.token_hex(4)}",
            client_secret=secrets.token_urlsafe(24),
            bearer_token=secrets.token_urlsafe(24),
            api_key=secrets.token_urlsafe(24),
            username=f"user-{secrets.token_hex(4)}",
            password=secrets.token_urlsafe(24),
        )

    def as_env(self) -> dict[str, str]:
        """Environment variables the ``partner`` source in ``conf/base/sources_api.yml`` reads."""
        return {
            f"{ENV_PREFIX}CLIENT_ID": self.client_id,
            f"{ENV_PREFIX}CLIENT_SECRET": self.client_secret,
            f"{ENV_PREFIX}TOKEN": self.bearer_token,
            f"{ENV_PREFIX}KEY": self.api_key,
            f"{ENV_PREFIX}USERNAME": self.username,
            f"{ENV_PREFIX}PASSWORD": self.password,
        }


def partner_api_env(base_url: str, credentials: SandboxCredentials | None = None) -> dict[str, str]:
    """Env vars that point the ``partner`` and ``track_weather`` sources at a sandbox."""
    return {"PITWALL_PARTNER_API_URL": base_url, **(credentials or SandboxCredentials()).as_env()}


@dataclass
class TokenStore:
    """Opaque short-lived access tokens issued by the client-credentials grant."""

    ttl_seconds: float = 60.0
    _tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    issued: int = 0

    def issue(self) -> tuple[str, float]:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.ttl_seconds
            self.issued += 1
        return token, self.ttl_seconds

    def is_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
        return expiry is not None and expiry > time.monotonic()

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)
