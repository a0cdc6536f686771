"""Shared by the deploy tests: paths, the Kedro registry, the DAG settings."""

from __future__ import annotations

import importlib.util
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import dockerfile
import yaml
from docker.utils.build import exclude_paths
from dockerfile import Command
from kedro.pipeline import Pipeline

from tests.conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
DAGS = DEPLOY / "airflow" / "dags"
PLUGINS = DEPLOY / "airflow" / "plugins"  # pitwall_dags.py, which every DAG imports
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


COMPOSE = DEPLOY / "compose.yaml"
COMPOSE_BUILD = DEPLOY / "compose.build.yaml"  # the local-build overlay of compose.yaml
ENV_EXAMPLE = DEPLOY / "env" / "pitwall.env.example"
DOCKERFILES = {
    "pitwall": DEPLOY / "docker" / "pitwall.Dockerfile",
    "telemetry": DEPLOY / "docker" / "telemetry.Dockerfile",
    "postgres": DEPLOY / "docker" / "postgres.Dockerfile",
}
VENV_BIN = Path(sys.executable).parent
_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<rest>[^}]*)\}")


def read_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def read_compose() -> dict[str, Any]:
    return read_yaml(COMPOSE)


def read_compose_builds() -> dict[str, dict[str, Any]]:
    """Service -> its ``build`` in the overlay (compose.yaml itself pulls digests only)."""
    return {n: s["build"] for n, s in read_yaml(COMPOSE_BUILD)["services"].items()}


def built_image_name(build: dict[str, Any]) -> str:
    """Our image a build produces: its target, or the Dockerfile's name (one-image files)."""
    target = build.get("target")
    if target and target != "runtime":
        return target
    return build["dockerfile"].rsplit("/", 1)[1].split(".")[0]


def read_env_example() -> dict[str, str]:
    """``KEY=VALUE`` lines of deploy/env/pitwall.env.example."""
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def compose_variables(text: str) -> dict[str, str]:
    """``${NAME...}`` references of a compose file: name -> the modifier (``:?``, ``:-x``...)."""
    return {m["name"]: m["rest"] for m in _VARIABLE.finditer(text)}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose-style interpolation of ``${NAME}``, ``${NAME:?msg}``, ``${NAME:-default}``."""

    def replace(match: re.Match[str]) -> str:
        rest = match["rest"]
        if match["name"] in env:
            return env[match["name"]]
        if rest.startswith(":-"):
            return rest[2:]
        raise KeyError(match["name"])

    return _VARIABLE.sub(replace, value)


def parse_dockerfile(path: Path) -> tuple[Command, ...]:
    """Instructions by BuildKit's own parser (the ``dockerfile`` package wraps it)."""
    return dockerfile.parse_file(str(path))


def dockerfile_stages(path: Path) -> dict[str, list[Command]]:
    """Instructions per build stage (``FROM ... AS name``; unnamed stages by index)."""
    stages: dict[str, list[Command]] = {}
    current: list[Command] | None = None
    for command in parse_dockerfile(path):
        if command.cmd.upper() == "FROM":
            value = command.value
            name = value[2] if len(value) == 3 and value[1].upper() == "AS" else str(len(stages))
            current = stages.setdefault(name, [])
        if current is not None:
            current.append(command)
    return stages


def stage_parent(stage: list[Command]) -> str:
    return stage[0].value[0]


def dockerignore_included(path: Path) -> set[str]:
    """Files of the repository that the Dockerfile's own .dockerignore lets into its context."""
    ignore = path.with_name(path.name + ".dockerignore")
    patterns = [
        line.strip()
        for line in ignore.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return set(exclude_paths(str(REPO_ROOT), patterns))


def dockerfile_global_args(path: Path) -> dict[str, str]:
    """``ARG NAME=default`` declared before the first FROM (usable in FROM lines)."""
    found = {}
    for command in parse_dockerfile(path):
        if command.cmd.upper() == "FROM":
            break
        if command.cmd.upper() == "ARG":
            name, _, default = command.value[0].partition("=")
            found[name] = default
    return found
