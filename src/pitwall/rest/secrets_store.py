"""Secrets: resolved from conf/local/credentials.yml or env vars, and redacted from logs."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import SecretStr

from pitwall.rest.errors import MissingSecretError
from pitwall.rest.spec import SecretRef

CredentialsLoader = Callable[[], Mapping[str, Any]]
MASK = "***"
REDACTED_LOGGERS = (
    "httpx",
    "httpcore",
    "authlib",
    "stamina",
    "pitwall.rest",
    "pipelines.ingest_api",
)


def read_project_credentials() -> Mapping[str, Any]:
    """``conf/local/credentials.yml`` (and other credentials* files) of the project."""
    from pitwall.config import read_config

    return read_config("credentials")


def resolve_secret(
    ref: SecretRef, *, credentials: Callable[[], Mapping[str, Any]], what: str
) -> SecretStr:
    """The secret's value: the env var if set (an explicit override, and what tests and CI
    use), else the credentials.yml key, else an error naming both places."""
    if ref.env and os.environ.get(ref.env):
        return SecretStr(os.environ[ref.env])
    if ref.credentials_key:
        node: Any = credentials()
        for part in ref.credentials_key.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node not in (None, ""):
            return SecretStr(str(node))
    raise MissingSecretError(f"{what}: no value found in {ref.describe()}")


class Redactor:
    """Replaces known secret values with ``***`` in text."""

    def __init__(self, secrets: Iterable[SecretStr] = ()) -> None:
        self._values: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: SecretStr) -> None:
        value = secret.get_secret_value()
        if len(value) >= 4 and value not in self._values:
            # longest first so a secret containing another is masked whole
            self._values = sorted([*self._values, value], key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._values)


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in a record's rendered message."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class redacted_logs:
    """Attach a :class:`RedactingFilter` to the HTTP and client loggers for a block."""

    def __init__(self, redact: Redactor, *, loggers: Iterable[str] = REDACTED_LOGGERS) -> None:
        self._filter = RedactingFilter(redact)
        self._loggers = [logging.getLogger(name) for name in loggers]

    def __enter__(self) -> None:
        for logger in self._loggers:
            logger.addFilter(self._filter)

    def __exit__(self, *exc: object) -> None:
        for logger in self._loggers:
            logger.removeFilter(self._filter)
