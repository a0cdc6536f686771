"""What is retried, and for how long a server asks us to wait (``Retry-After``)."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

import httpx

from pitwall.rest.errors import RetryableError

NOT_TRANSIENT = (httpx.UnsupportedProtocol, httpx.ProxyError, httpx.InvalidURL)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """``Retry-After`` as seconds (delta-seconds, fractional accepted, or an HTTP-date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def backoff_hook(max_retry_after: float):
    """A stamina hook: retry transient errors; wait ``Retry-After`` when the server gave one."""

    def hook(exc: Exception) -> bool | float:
        if isinstance(exc, RetryableError):
            if exc.retry_after is not None:
                return min(exc.retry_after, max_retry_after)
            return True
        if isinstance(exc, NOT_TRANSIENT):
            return False
        return isinstance(exc, httpx.TransportError)  # timeouts, connection errors

    return hook
