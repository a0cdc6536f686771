"""Runtime settings shared by the CLI, the pipelines, the API and the notebooks."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def find_project_root(start: Path | None = None) -> Path:
    """The project root: ``PITWALL_HOME``, else the first parent holding conf/base."""
    env = os.environ.get("PITWALL_HOME")
    if env:
        return Path(env).resolve()
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "conf" / "base").is_dir() and (candidate / "pyproject.toml").is_file():
            return candidate
    return Path(__file__).resolve().parents[2]


class PitwallSettings(BaseSettings):
    """Settings read from ``PITWALL_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_", extra="ignore")

    home: Path = Field(default_factory=find_project_root)
    lake_uri: str = ""
    pg_dsn: str = ""

    @property
    def resolved_lake_uri(self) -> str:
        """The lake root: ``PITWALL_LAKE_URI`` if set, else ``<home>/data/lake``."""
        if self.lake_uri:
            if "://" in self.lake_uri:
                return self.lake_uri.rstrip("/")
            return str((self.home / self.lake_uri).resolve())
        return str(self.home / "data" / "lake")


@lru_cache(maxsize=1)
def get_settings() -> PitwallSettings:
    """Cached settings; tests call ``get_settings.cache_clear()`` after changing the env."""
    return PitwallSettings()
