"""Declarative REST sources: auth, pagination, incremental cursors, retries, rate limits."""

from pitwall.rest.client import FetchedPage, RestClient
from pitwall.rest.errors import (
    AuthenticationError,
    MalformedPageError,
    MissingSecretError,
    RestSourceError,
    RetriesExhaustedError,
)
from pitwall.rest.spec import EndpointSpec, SourceSpec, parse_sources

__all__ = [
    "AuthenticationError",
    "EndpointSpec",
    "FetchedPage",
    "MalformedPageError",
    "MissingSecretError",
    "RestClient",
    "RestSourceError",
    "RetriesExhaustedError",
    "SourceSpec",
    "parse_sources",
]
