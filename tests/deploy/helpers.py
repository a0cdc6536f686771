"""Shared by the deploy tests: paths, the Kedro registry, the DAG settings."""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from types import ModuleType

from kedro.pipeline import Pipeline

from tests.conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
DAGS = DEPLOY / "airflow" / "dags"
GENERATOR = DEPLOY / "airflow" / "generate_dags.py"
INGEST_DAGS = ("ingest_csv", "ingest_api", "ingest_scraper", "ingest_assetto")


@cache
def registered_pipelines() -> dict[str, Pipeline]:
    """The project's pipelines by name (without ``__default__``)."""
    from pipelines.pipeline_registry import register_pipelines

    return {n: p for n, p in register_pipelines().items() if n != "__default__"}


@cache
def generator_module() -> ModuleType:
    """deploy/airflow/generate_dags.py, imported from its path (deploy/ is not a package)."""
    spec = importlib.util.spec_from_file_location("generate_dags", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_dags", module)
    spec.loader.exec_module(module)
    return module
