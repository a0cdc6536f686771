"""Passwords of the login roles (loader, reader). Never in conf/base, never logged.

Looked up in order:

1. env ``PITWALL_PG_LOADER_PASSWORD`` / ``PITWALL_PG_READER_PASSWORD``;
2. ``conf/local/credentials.yml`` (git-ignored), key ``pitwall_postgres`` with
   ``loader_password`` / ``reader_password``;
3. generated once and stored in ``<home>/conf/local/postgres-passwords.json`` (mode 0600;
   conf/local is git-ignored; the name matches no Kedro config pattern).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from pitwall.settings import get_settings

LoginRole = Literal["loader", "reader"]
CREDENTIALS_KEY = "pitwall_postgres"


@dataclass(frozen=True)
class RolePasswords:
    """The loader's and the reader's passwords (hidden from ``repr``)."""

    loader: str = field(repr=False)
    reader: str = field(repr=False)

    def of(self, role: LoginRole) -> str:
        return self.loader if role == "loader" else self.reader


def read_role_passwords(home: Path | None = None) -> RolePasswords:
    """The role passwords from env, ``conf/local/credentials.yml`` or the generated store."""
    base = home or get_settings().home
    configured = _read_local_credentials(base)
    found: dict[LoginRole, str | None] = {
        role: os.environ.get(f"PITWALL_PG_{role.upper()}_PASSWORD")
        or configured.get(f"{role}_password")
        for role in ("loader", "reader")
    }
    if found["loader"] and found["reader"]:
        return RolePasswords(loader=found["loader"], reader=found["reader"])
    generated = _read_or_create_store(base / "conf" / "local" / "postgres-passwords.json")
    return RolePasswords(
        loader=found["loader"] or generated["loader"],
        reader=found["reader"] or generated["reader"],
    )


def _read_local_credentials(home: Path) -> dict[str, str]:
    path = home / "conf" / "local" / "credentials.yml"
    if not path.is_file():
        return {}
    content = yaml.safe_load(path.read_text()) or {}
    section = content.get(CREDENTIALS_KEY) or {}
    return {str(k): str(v) for k, v in section.items() if v is not None}


def _read_or_create_store(path: Path) -> dict[str, str]:
    """Read the generated passwords, creating them atomically the first time."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {role: secrets.token_urlsafe(24) for role in ("loader", "reader")}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".postgres-passwords.")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(content, handle)
            os.chmod(tmp, 0o600)
            # link() fails when another process created the store first: theirs wins.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    stored = json.loads(path.read_text())
    return {"loader": str(stored["loader"]), "reader": str(stored["reader"])}
