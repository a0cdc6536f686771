"""The project's configuration: the one place that reads ``conf/``.

Kedro's ``OmegaConfigLoader`` is built here once per (home, env) and shared by the Kedro
project (``src/pipelines/settings.py`` takes :data:`CONFIG_LOADER_ARGS`), the CSV feeds, the
REST sources, the scraper, the mirror and the API. ``${oc.env:NAME,default}`` works in every
file, the way Kedro's documentation recommends: ``oc.env`` registered as a custom resolver
(Kedro enables it for credentials only by default). Secrets stay in
``conf/local/credentials.yml`` or in environment variables.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from kedro.config import MissingConfigException, OmegaConfigLoader
from omegaconf.resolvers import oc

from pitwall.settings import get_settings

ConfigKey = Literal["parameters", "credentials", "sources", "catalog", "globals"]

CONFIG_LOADER_ARGS: dict[str, Any] = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"oc.env": oc.env},
    "config_patterns": {
        # sources_*.yml declare the CSV feeds, REST sources and sites; they are globals too,
        # so parameters refer to them (``${globals:csv_feeds}``) instead of copying them
        "sources": ["sources*", "sources*/**"],
        "globals": ["globals*", "globals*/**", "sources*", "sources*/**"],
    },
}


def run_env() -> str:
    """The Kedro environment layered over ``base``: ``KEDRO_ENV`` or ``local``."""
    return os.environ.get("KEDRO_ENV") or str(CONFIG_LOADER_ARGS["default_run_env"])


@lru_cache(maxsize=8)
def _loader(conf_source: str, env: str) -> OmegaConfigLoader:
    with warnings.catch_warnings():  # Kedro registers resolvers through a deprecated omegaconf API
        warnings.simplefilter("ignore", UserWarning)
        return OmegaConfigLoader(conf_source=conf_source, env=env, **CONFIG_LOADER_ARGS)


def config_loader(*, home: Path | None = None, env: str | None = None) -> OmegaConfigLoader:
    """The loader over ``<home>/conf`` (default: the project home), built once."""
    root = home or get_settings().home
    return _loader(str(root / "conf"), env or run_env())


def read_config(
    key: ConfigKey, *, home: Path | None = None, env: str | None = None
) -> Mapping[str, Any]:
    """One kind of config (``base`` + the run env), resolved; empty when there is none."""
    root = home or get_settings().home
    if not (root / "conf").is_dir():
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        loader = config_loader(home=root, env=env)
        # OmegaConf's ``globals`` resolver is process-wide and bound to the loader built last
        # (another home's, in tests or the API): bind it to this loader again before reading.
        # Kedro has no public call for this; _register_globals_resolver is what its __init__ runs.
        loader._register_globals_resolver()
        try:
            return loader[key] or {}
        except MissingConfigException:
            return {}


def read_parameters(name: str, *, home: Path | None = None) -> Mapping[str, Any]:
    """The parameters of one pipeline (``parameters_<name>.yml`` -> key ``<name>``).

    Parameters may refer to ``${globals:...}``: OmegaConf's globals resolver is process-wide
    and bound to the loader built last, so code outside a Kedro run reads source declarations
    with ``read_config("sources")`` instead.
    """
    return read_config("parameters", home=home).get(name) or {}


def clear_config_cache() -> None:
    """Forget the loaders (tests change ``conf/`` or the environment between cases)."""
    _loader.cache_clear()
