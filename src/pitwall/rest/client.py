"""The REST source client: pages of records from a declared endpoint, with auth, rate limit,
retries (stamina: exponential backoff + jitter, ``Retry-After``) and redacted errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from types import TracebackType
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson
import stamina
from authlib.integrations.base_client import OAuthError

from pitwall.lake.ingest import utc_now
from pitwall.rest.auth import SourceHttp
from pitwall.rest.decoding import DecodedPage, PageDecoder
from pitwall.rest.errors import (
    AuthenticationError,
    MalformedPageError,
    RestSourceError,
    RetriesExhaustedError,
    RetryableError,
)
from pitwall.rest.paginators import PageRequest, body_paths, make_paginator
from pitwall.rest.ratelimit import RateLimiter
from pitwall.rest.retry import backoff_hook, retry_after_seconds
from pitwall.rest.secrets_store import read_project_credentials, redacted_logs
from pitwall.rest.spec import EndpointSpec, SourceSpec

log = logging.getLogger(__name__)

MAX_PAGES = 1_000_000


@dataclass(frozen=True)
class FetchedPage:
    """One page of records as received."""

    source: str
    endpoint: str
    number: int  # 1-based within this run
    url: str  # redacted
    requested_at: datetime
    raw_records: list[bytes]  # each record's JSON, as received
    endpoint_url: str = ""  # base URL + path, no query
    cursor_field: str | None = None
    cursors: list[str | None] | None = None  # each record's cursor value as text (if any)

    @cached_property
    def records(self) -> list[dict[str, Any]]:
        """The records as Python objects (decoded on first use)."""
        return [orjson.loads(r) for r in self.raw_records]


class RestClient:
    """A declared REST source. Use as a context manager; secrets are resolved on enter.

    Args:
        name: the source's name (used in errors and logs).
        spec: its declaration.
        credentials: the credentials mapping or a function reading it (default: the
            project's credentials.yml, read only if a secret is not in the environment).
    """

    def __init__(
        self,
        name: str,
        spec: SourceSpec,
        *,
        credentials: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        self.name = name
        self.spec = spec
        self._credentials = credentials
        self._loaded: Mapping[str, Any] | None = None
        self._http: SourceHttp | None = None
        self._limiter = RateLimiter(spec.http.requests_per_second)
        self._logs: redacted_logs | None = None

    def __enter__(self) -> RestClient:
        self._http = SourceHttp(self.name, self.spec, credentials=self._read_credentials)
        self._logs = redacted_logs(self._http.redact)
        self._logs.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            self._http.close()
        if self._logs is not None:
            self._logs.__exit__(exc_type, exc, tb)

    def _read_credentials(self) -> Mapping[str, Any]:
        """The credentials mapping, read (once) only when a secret is not in the env."""
        if self._loaded is None:
            given = self._credentials
            if given is None:
                given = read_project_credentials
            self._loaded = given() if callable(given) else given
        return self._loaded

    @property
    def http(self) -> SourceHttp:
        if self._http is None:
            raise RuntimeError("RestClient is not open: use 'with RestClient(...) as client:'")
        return self._http

    def redact(self, text: str) -> str:
        return self.http.redact(text)

    def iter_pages(self, endpoint: str, *, since: str | None = None) -> Iterator[FetchedPage]:
        """The endpoint's pages in order; ``since`` is the incremental cursor's last value."""
        spec = self._endpoint(endpoint)
        paginator = make_paginator(spec.paginator)
        params: dict[str, Any] = dict(spec.params)
        start = since if since is not None else (spec.cursor.initial if spec.cursor else None)
        if spec.cursor and start is not None:
            params[spec.cursor.param] = start
        url = urljoin(self.spec.base_url.rstrip("/") + "/", spec.path.lstrip("/"))
        cursor_field = spec.cursor.field if spec.cursor else None
        decoder = PageDecoder(
            spec.records, body_paths=body_paths(spec.paginator), cursor_field=cursor_field
        )
        request: PageRequest | None = paginator.first(url, params)
        seen: set[tuple[str, str]] = set()
        number = 0
        while request is not None:
            fingerprint = (request.url, repr(sorted(request.params.items())))
            if fingerprint in seen or number >= MAX_PAGES:
                raise RestSourceError(f"{self.name}.{endpoint}: pagination does not advance")
            seen.add(fingerprint)
            number += 1
            requested_at = utc_now()
            response, page = self._fetch(endpoint, decoder, request)
            yield FetchedPage(
                self.name,
                endpoint,
                number,
                self.redact(str(response.url)),
                requested_at,
                page.records,
                endpoint_url=url,
                cursor_field=cursor_field,
                cursors=page.cursors,
            )
            request = paginator.next(request, response, page.body, len(page.records))

    def _endpoint(self, endpoint: str) -> EndpointSpec:
        try:
            return self.spec.endpoints[endpoint]
        except KeyError:
            raise RestSourceError(f"{self.name}: no endpoint {endpoint!r}") from None

    def _fetch(
        self, endpoint: str, decoder: PageDecoder, request: PageRequest
    ) -> tuple[httpx.Response, DecodedPage]:
        retry = self.spec.http.retry
        where = f"{self.name}.{endpoint}"
        attempts = 0
        try:
            for attempt in stamina.retry_context(
                on=backoff_hook(retry.max_retry_after_seconds),
                attempts=retry.attempts,
                timeout=retry.timeout_seconds,
                wait_initial=retry.wait_initial_seconds,
                wait_max=retry.wait_max_seconds,
                wait_jitter=retry.wait_jitter_seconds,
            ):
                with attempt:
                    attempts = attempt.num
                    return self._attempt(where, decoder, request)
        except (RetryableError, httpx.TransportError) as exc:
            shown = self.redact(str(httpx.URL(request.url, params=request.params)))
            reason = self.redact(f"{type(exc).__name__}: {exc}")
            raise RetriesExhaustedError(
                f"{where}: GET {shown} failed after {attempts} attempt(s); last error: {reason}"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _attempt(
        self, where: str, decoder: PageDecoder, request: PageRequest
    ) -> tuple[httpx.Response, DecodedPage]:
        http = self.http
        response = self._send(where, request)
        if response.status_code == 401 and http.oauth is not None:
            log.info("%s: access token refused (401): fetching a new one", where)
            self._token(where, force=True)
            response = self._send(where, request)
        status = response.status_code
        if status == 401 and http.oauth is not None:
            # a token refused right after it was issued: revoked or rotated server-side
            raise RetryableError("HTTP 401 with a freshly issued token")
        if status in (401, 403):
            raise AuthenticationError(f"{where}: {self.redact(str(response.url))} -> {status}")
        if status == 429 or status >= 500:
            wait = retry_after_seconds(response)
            log.warning("%s: %s -> %s, retrying", where, self.redact(str(response.url)), status)
            raise RetryableError(f"HTTP {status}", retry_after=wait)
        if status >= 400:
            raise RestSourceError(f"{where}: {self.redact(str(response.url))} -> HTTP {status}")
        try:
            return response, decoder.decode(response.content)
        except MalformedPageError as exc:
            log.warning("%s: %s: %s, retrying", where, self.redact(str(response.url)), exc)
            raise

    def _send(self, where: str, request: PageRequest) -> httpx.Response:
        self._token(where)
        self._limiter.wait()
        return self.http.client.get(request.url, params=request.params or None)

    def _token(self, where: str, *, force: bool = False) -> None:
        try:
            self.http.ensure_token(force=force)
        except OAuthError as exc:
            raise AuthenticationError(
                f"{where}: token endpoint refused the client: {self.redact(str(exc.error))}"
            ) from None
        except httpx.HTTPStatusError as exc:
            status = exc.response.status_code
            if status == 429 or status >= 500:
                raise RetryableError(f"token endpoint HTTP {status}") from None
            raise AuthenticationError(f"{where}: token endpoint -> HTTP {status}") from None
