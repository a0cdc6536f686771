"""Kedro project settings: the config loader is the one :mod:`pitwall.config` builds."""

import logging

from kedro.config import OmegaConfigLoader

from pitwall.config import CONFIG_LOADER_ARGS as _LOADER_ARGS
from pitwall.production import require_real_secrets

# PITWALL_ENV=production (the deployment): no run with a template or empty secret
require_real_secrets()

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = _LOADER_ARGS

# Kedro configures its own and the project package's loggers; ours report progress too.
logging.getLogger("pitwall").setLevel(logging.INFO)
