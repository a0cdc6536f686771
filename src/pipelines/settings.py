"""Kedro project settings."""

import logging

from kedro.config import OmegaConfigLoader
from omegaconf.resolvers import oc

from pitwall.production import require_real_secrets

# PITWALL_ENV=production (the deployment): no run with a template or empty secret
require_real_secrets()

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # ${oc.env:NAME,default} anywhere in conf: endpoints and paths can be overridden by env
    # vars (secrets still belong in conf/local/credentials.yml or the environment).
    "custom_resolvers": {"oc.env": oc.env},
    "config_patterns": {
        "sources": ["sources*", "sources*/**"],
    },
}

# Kedro configures its own and the project package's loggers; ours report progress too.
logging.getLogger("pitwall").setLevel(logging.INFO)
