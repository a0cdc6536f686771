"""Bearer JWT verification against an OIDC issuer (Keycloak in production).

The JWKS is found through the issuer's discovery document and cached. An identity provider
that is slow or down must not stall the API:

- a token whose ``kid`` is known is checked against the cached key without waiting on the
  issuer, even when the keys are older than ``max_age_s`` (a refresh then starts in the
  background);
- refreshes are single-flight: concurrent requests share one fetch, bounded by ``timeout_s``;
- a failed fetch is remembered with exponential backoff (``backoff_s`` doubling up to
  ``max_backoff_s``): until then, a token with an unknown ``kid`` gets 503 at once;
- an unknown ``kid`` (key rotation) triggers a fetch at most once per ``min_refresh_s``, so
  tokens with made-up kids cannot make us hammer the issuer.

PyJWT's ``PyJWKClient`` would refetch on every unknown kid, synchronously with urllib, and has
none of the above; hence this small async cache around PyJWT's ``PyJWKSet``. Only RS256 and
ES256 are accepted, and the key must be of the header's algorithm.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import jwt
from jwt import PyJWK, PyJWKSet

log = logging.getLogger(__name__)

ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")
Role = Literal["reader", "ingest", "editor", "admin"]
ROLES: tuple[Role, ...] = ("reader", "ingest", "editor", "admin")
KeyFreshness = Literal["fresh", "stale", "missing"]


class AuthError(Exception):
    """The token is missing, malformed, badly signed, expired or not for us (HTTP 401)."""


class IssuerUnavailableError(Exception):
    """The issuer's discovery document or JWKS cannot be fetched (HTTP 503)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: the token subject, its client and its realm roles."""

    subject: str
    client_id: str | None
    roles: frozenset[str]
    username: str | None = None

    def has_role(self, role: Role) -> bool:
        """``admin`` holds every role; ``editor`` (reference data) holds ``reader`` too."""
        implied = {role, "admin"} | ({"editor"} if role == "reader" else set())
        return not implied.isdisjoint(self.roles)


@dataclass(frozen=True)
class KeyState:
    """The signing keys as ``/health`` reports them."""

    freshness: KeyFreshness
    keys: int
    age_s: float | None
    refreshing: bool
    failures: int
    retry_in_s: float | None


class JwksCache:
    """The issuer's signing keys by ``kid`` (see the module docstring)."""

    def __init__(
        self,
        issuer: str,
        *,
        client: httpx.AsyncClient,
        max_age_s: float = 600.0,
        min_refresh_s: float = 10.0,
        timeout_s: float = 5.0,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self._client = client
        self._max_age_s = max_age_s
        self._min_refresh_s = min_refresh_s
        self._timeout_s = timeout_s
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at = float("-inf")
        self._jwks_uri: str | None = None
        self._inflight: asyncio.Task[IssuerUnavailableError | None] | None = None
        self._failures = 0
        self._retry_at = float("-inf")
        self.fetches = 0

    async def get(self, kid: str) -> PyJWK | None:
        """The key ``kid``; fetches the JWKS only for a kid it does not know.

        Raises:
            IssuerUnavailableError: the kid is unknown and the keys cannot be fetched now.
        """
        key = self._keys.get(kid)
        if key is not None:
            if self._stale():
                self.refresh_in_background()
            return key
        if self._clock() - self._fetched_at < self._min_refresh_s:
            return None
        await self.refresh()
        return self._keys.get(kid)

    async def refresh(self) -> None:
        """Fetch the keys now, joining a fetch already under way.

        Raises:
            IssuerUnavailableError: the fetch failed, or failed recently (backoff).
        """
        flight = self._inflight
        if flight is None or flight.done():
            wait_s = self._retry_at - self._clock()
            if wait_s > 0:
                raise IssuerUnavailableError(
                    f"the issuer's keys could not be fetched; next attempt in {wait_s:.1f}s"
                )
            flight = self._start()
        # shielded: a request that goes away does not cancel the fetch the others wait on
        error = await asyncio.shield(flight)
        if error is not None:
            raise error

    def refresh_in_background(self) -> None:
        """Start a fetch unless one is under way or the last one failed too recently."""
        if (self._inflight is None or self._inflight.done()) and self._clock() >= self._retry_at:
            self._start()

    def state(self) -> KeyState:
        now = self._clock()
        freshness: KeyFreshness = "missing"
        if self._keys:
            freshness = "stale" if self._stale() else "fresh"
        return KeyState(
            freshness=freshness,
            keys=len(self._keys),
            age_s=None if self._fetched_at == float("-inf") else round(now - self._fetched_at, 1),
            refreshing=self._inflight is not None and not self._inflight.done(),
            failures=self._failures,
            retry_in_s=round(self._retry_at - now, 1) if self._retry_at > now else None,
        )

    def _stale(self) -> bool:
        return self._clock() - self._fetched_at > self._max_age_s

    def _start(self) -> asyncio.Task[IssuerUnavailableError | None]:
        self._inflight = asyncio.create_task(self._fetch(), name="jwks-refresh")
        return self._inflight

    async def _fetch(self) -> IssuerUnavailableError | None:
        """One fetch; its outcome is recorded here and returned (never raised) to the waiters."""
        try:
            async with asyncio.timeout(self._timeout_s):
                if self._jwks_uri is None:
                    self._jwks_uri = await self._discover()
                response = await self._client.get(self._jwks_uri)
                response.raise_for_status()
                jwks = PyJWKSet.from_dict(response.json())
        except (TimeoutError, httpx.HTTPError, ValueError, KeyError, jwt.PyJWKSetError) as exc:
            self._failures += 1
            delay = min(self._max_backoff_s, self._backoff_s * 2 ** (self._failures - 1))
            self._retry_at = self._clock() + delay
            reason = f"timed out after {self._timeout_s}s" if isinstance(exc, TimeoutError) else exc
            log.warning(
                "cannot fetch the signing keys of %s (%s); next attempt in %.1fs",
                self.issuer,
                reason,
                delay,
            )
            return IssuerUnavailableError(f"cannot fetch the issuer's keys: {reason}")
        self._keys = {k.key_id: k for k in jwks.keys if k.key_id}
        self._fetched_at = self._clock()
        self._failures = 0
        self._retry_at = float("-inf")
        self.fetches += 1
        log.info("fetched %d signing keys from %s", len(self._keys), self._jwks_uri)
        return None

    async def _discover(self) -> str:
        response = await self._client.get(f"{self.issuer}/.well-known/openid-configuration")
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        if str(document.get("issuer", "")).rstrip("/") != self.issuer:
            raise ValueError(f"discovery names issuer {document.get('issuer')!r}")
        return str(document["jwks_uri"])


@dataclass(frozen=True)
class _Verified:
    principal: Principal
    not_before: float
    expires: float
    recheck_at: float


class TokenVerifier:
    """Checks signature (RS256/ES256 only), ``iss``, ``aud``, ``exp``, ``nbf`` and reads roles.

    A token that passed is remembered (at most ``cache_size`` of them) for up to
    ``recheck_after_s``: a client reusing its token skips the signature check (~0.3 ms here,
    a third of a 100-row page), while ``exp``/``nbf`` are still checked on every request.
    """

    def __init__(
        self,
        jwks: JwksCache,
        *,
        audience: str,
        leeway_s: int = 5,
        cache_size: int = 4096,
        recheck_after_s: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.jwks = jwks
        self.audience = audience
        self.leeway_s = leeway_s
        self.cache_size = cache_size
        self.recheck_after_s = recheck_after_s
        self._verified: dict[str, _Verified] = {}
        self._clock = clock

    async def verify(self, token: str) -> Principal:
        """The caller behind ``token``.

        Raises:
            AuthError: the token is not acceptable.
            IssuerUnavailableError: the keys cannot be fetched.
        """
        now = self._clock()
        known = self._verified.get(token)
        if known is not None and now < known.recheck_at:
            if now > known.expires + self.leeway_s:
                raise AuthError("token expired")
            if now < known.not_before - self.leeway_s:
                raise AuthError("invalid token: The token is not yet valid (nbf)")
            return known.principal
        principal, claims = await self._verify_signed(token)
        if len(self._verified) >= self.cache_size:
            del self._verified[next(iter(self._verified))]  # oldest first
        self._verified[token] = _Verified(
            principal,
            not_before=float(claims.get("nbf", 0)),
            expires=float(claims["exp"]),
            recheck_at=now + self.recheck_after_s,
        )
        return principal

    async def _verify_signed(self, token: str) -> tuple[Principal, dict[str, Any]]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise AuthError("malformed token") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise AuthError(f"signature algorithm {alg!r} is not accepted")
        if not isinstance(kid, str) or not kid:
            raise AuthError("token names no signing key (kid)")
        key = await self.jwks.get(kid)
        if key is None:
            raise AuthError("token signed by an unknown key")
        if key.algorithm_name != alg:
            raise AuthError("token algorithm does not match its key")
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.jwks.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        principal = Principal(
            subject=str(claims["sub"]),
            client_id=claims.get("azp") or claims.get("client_id"),
            roles=_realm_roles(claims),
            username=_username(claims),
        )
        return principal, claims


def _username(claims: dict[str, Any]) -> str | None:
    name = claims.get("preferred_username")
    return name if isinstance(name, str) and name else None


def _realm_roles(claims: dict[str, Any]) -> frozenset[str]:
    access = claims.get("realm_access")
    roles = access.get("roles") if isinstance(access, dict) else None
    if not isinstance(roles, list):
        return frozenset()
    return frozenset(r for r in roles if isinstance(r, str))
