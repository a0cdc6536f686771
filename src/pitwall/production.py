"""Production mode: refuse to start with a secret still at its template value.

``PITWALL_ENV=production`` (set by deploy/compose.yaml) turns it on. Then every Pitwall process
(the API, ``kedro run``, the PostgreSQL bootstrap) checks its environment at start: a variable
whose name says it is a secret (``PASSWORD``, ``SECRET``, ``FERNET``, ``COOKIE``, ``TOKEN``), or
the password of a URL such as a DSN, must not be empty or a template value (``change-me``, as
in deploy/env/pitwall.env.example). The error names every offending variable. Outside
production (the demo, the tests, a developer's shell) nothing is checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

PRODUCTION_ENV = "PITWALL_ENV"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|COOKIE|TOKEN")
TEMPLATE_VALUES = frozenset({"", "change-me", "changeme", "change_me", "replace-me", "todo"})
_URL_WITH_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.IGNORECASE)


class TemplateSecretError(RuntimeError):
    """Production mode, and some secrets are empty or still the template's."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"{PRODUCTION_ENV}=production but these variables hold an empty or template value: "
            f"{', '.join(names)}. Put real secrets in the env file (deploy/env/pitwall.env; "
            "see docs/security.md)."
        )


def is_production(environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(PRODUCTION_ENV, "").strip().lower() == "production"


def find_template_secrets(environ: Mapping[str, str], *, required: Iterable[str] = ()) -> list[str]:
    """Names of the secrets in ``environ`` that are empty or template values (a URL's password
    is named ``NAME (password)``), and of the ``required`` ones that are missing."""
    found = [name for name in required if _is_template(environ.get(name, ""))]
    for name, value in sorted(environ.items()):
        if name in found:
            continue
        if SECRET_NAME.search(name.upper()) and _is_template(value):
            found.append(name)
        elif _URL_WITH_PASSWORD.match(value) and _is_template(urlsplit(value).password or ""):
            found.append(f"{name} (password)")
    return found


def require_real_secrets(
    environ: Mapping[str, str] | None = None, *, required: Iterable[str] = ()
) -> None:
    """In production mode, refuse template or empty secrets (see the module docstring).

    Raises:
        TemplateSecretError: naming every offending variable.
    """
    env = os.environ if environ is None else environ
    if not is_production(env):
        return
    offending = find_template_secrets(env, required=required)
    if offending:
        raise TemplateSecretError(offending)


def _is_template(value: str) -> bool:
    return value.strip().lower() in TEMPLATE_VALUES
