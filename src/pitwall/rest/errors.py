"""Errors of the REST source client. Messages are built redacted: no secret ever reaches them."""

from __future__ import annotations


class RestSourceError(RuntimeError):
    """A REST source failed; the message names the source and endpoint."""


class MissingSecretError(RestSourceError):
    """A declared secret is neither in conf/local/credentials.yml nor in the environment."""


class AuthenticationError(RestSourceError):
    """The API refused the credentials (after a token refresh, for OAuth2)."""


class RetriesExhaustedError(RestSourceError):
    """A page kept failing with retryable errors until the retry budget ran out."""


class RetryableError(Exception):
    """A transient failure of one request (status or body); retried with backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MalformedPageError(RetryableError):
    """The body is not JSON or has no records where the selector says."""
