"""The Dockerfiles: parsed by BuildKit's parser, linted by hadolint, and in step with the code."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
from telemetry_capture.cli import build_parser

from api.settings import DEMO_PORT
from pitwall.dashboards.serve import APPS, APPS_PORT
from tests.conftest import REPO_ROOT
from tests.deploy.helpers import (
    DEPLOY,
    DOCKERFILES,
    VENV_BIN,
    dockerfile_global_args,
    dockerfile_stages,
    dockerignore_included,
    parse_dockerfile,
    read_yaml,
    stage_parent,
)

HADOLINT_CONFIG = DEPLOY / "docker" / "hadolint.yaml"
TARGETS = {  # image -> (Dockerfile, final stage)
    "pipelines": ("pitwall", "pipelines"),
    "api": ("pitwall", "api"),
    "dashboards": ("pitwall", "dashboards"),
    "telemetry": ("telemetry", "runtime"),
}
LOCKED = {p["name"] for p in tomllib.loads((REPO_ROOT / "uv.lock").read_text())["package"]}


def hadolint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "hadolint"), "--no-color", "--config", str(HADOLINT_CONFIG)]
        + [str(p) for p in paths],
        capture_output=True,
        text=True,
        timeout=60,
    )


def chain(name: str, stage: str) -> list[list]:
    """The instructions of a stage and of the stages it is built FROM, innermost last."""
    stages = dockerfile_stages(DOCKERFILES[name])
    found = [stages[stage]]
    while stage_parent(found[-1]) in stages:
        found.append(stages[stage_parent(found[-1])])
    return found


def last(instructions: list[list], cmd: str):
    for stage in instructions:
        for command in reversed(stage):
            if command.cmd.upper() == cmd:
                return command
    raise AssertionError(f"no {cmd}")


def test_hadolint_finds_nothing_in_our_dockerfiles() -> None:
    result = hadolint(*DOCKERFILES.values())
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_is_live(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN cd /tmp && pip install requests\n")
    result = hadolint(bad)
    assert result.returncode != 0
    for rule in ("DL3007", "DL3003", "DL3013", "DL3042"):
        assert rule in result.stdout


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_every_base_image_is_slim_and_pinned(name: str) -> None:
    path = DOCKERFILES[name]
    args = dockerfile_global_args(path)
    stages = dockerfile_stages(path)
    for stage in stages.values():
        image = stage_parent(stage)
        if image in stages:
            continue
        resolved = args.get(image[2:-1], image) if image.startswith("${") else image
        assert re.fullmatch(r"[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}", resolved), resolved
        repository, _, tag = resolved.split("@")[0].rpartition(":")
        assert tag and tag != "latest", resolved
        if repository.endswith("python"):
            assert "slim" in tag, resolved
    if name != "postgres":
        assert args["PYTHON_IMAGE"].startswith("python:3.11-slim")


@pytest.mark.parametrize("image", sorted(TARGETS))
def test_every_image_runs_as_a_non_root_user(image: str) -> None:
    user = last(chain(*TARGETS[image]), "USER").value[0]
    assert user.split(":")[0] not in ("0", "root"), image


def test_the_project_installs_from_the_lockfile_only() -> None:
    build = dockerfile_stages(DOCKERFILES["pitwall"])["build"]
    runs = [c.value[0] for c in build if c.cmd == "RUN"]
    assert any("uv sync --frozen --no-dev --no-install-project" in r for r in runs)
    assert any("uv sync --frozen --no-dev --no-editable" in r for r in runs)
    airflow = [c.value[0] for c in dockerfile_stages(DOCKERFILES["pitwall"])["airflow-build"]]
    assert any("--require-hashes" in r and "requirements.txt" in r for r in airflow)
    telemetry = [c.value[0] for c in dockerfile_stages(DOCKERFILES["telemetry"])["build"]]
    sync = next(r for r in telemetry if "uv sync" in r)
    assert "--frozen" in sync and "--no-dev" in sync and "--package telemetry-capture" in sync
    for path in DOCKERFILES.values():
        for command in parse_dockerfile(path):
            if command.cmd == "RUN":
                assert "pip install" not in command.value[0].replace("uv pip install", "")


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_every_copied_file_exists_and_is_in_the_build_context(name: str) -> None:
    path = DOCKERFILES[name]
    context = dockerignore_included(path)
    for command in parse_dockerfile(path):
        if command.cmd not in ("COPY", "ADD") or any(f.startswith("--from") for f in command.flags):
            continue
        for source in command.value[:-1]:
            source = source.rstrip("/")
            assert (REPO_ROOT / source).exists(), f"{path.name}: {source} does not exist"
            assert source in context, f"{path.name}: {source} is excluded by its .dockerignore"


def test_nothing_secret_or_bulky_enters_a_build_context() -> None:
    for path in DOCKERFILES.values():
        context = dockerignore_included(path)
        leaked = [
            p
            for p in context
            if p.startswith((".git/", ".venv/", "data/", "conf/local/", "tests/"))
            or p.endswith(".env")
        ]
        assert leaked == [], path.name


def test_the_api_image_serves_the_app_factory_on_the_demo_port() -> None:
    api = chain("pitwall", "api")
    command = list(last(api, "CMD").value)
    assert command[0] == "uvicorn" and "uvicorn" in LOCKED
    assert "--factory" in command
    module, _, attribute = command[1].partition(":")
    imported = __import__(module, fromlist=[attribute])
    assert callable(getattr(imported, attribute))
    port = int(command[command.index("--port") + 1])
    assert port == DEMO_PORT
    assert last(api, "EXPOSE").value == (str(port),)
    health = last(api, "HEALTHCHECK").value
    assert f"127.0.0.1:{port}/health" in " ".join(health)


def test_the_dashboards_image_runs_every_marimo_app() -> None:
    dashboards = chain("pitwall", "dashboards")
    command = list(last(dashboards, "CMD").value)
    assert command[:2] == ["marimo", "run"] and "marimo" in LOCKED
    served = {p.stem for p in (REPO_ROOT / command[2]).glob("*.py")}
    assert set(APPS) <= served  # the apps `pitwall demo` serves, from the same folder
    assert "--no-sandbox" in command and "--no-token" in command  # as pitwall.dashboards.serve
    port = command[command.index("--port") + 1]
    assert int(port) == APPS_PORT
    assert last(dashboards, "EXPOSE").value == (port,)


def test_the_pipelines_image_runs_kedro_and_airflow() -> None:
    pipelines = chain("pitwall", "pipelines")
    assert list(last(pipelines, "CMD").value) == ["kedro", "run"] and "kedro" in LOCKED
    env = {}  # the outermost ENV wins
    for stage in reversed(pipelines):
        for command in stage:
            if command.cmd == "ENV":
                env |= dict(zip(command.value[::2], command.value[1::2], strict=True))
    assert env["PITWALL_KEDRO"] == "/app/.venv/bin/kedro"
    assert env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/airflow/dags"
    assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == "/opt/airflow/plugins"
    assert env["PATH"].startswith("/opt/airflow/venv/bin:")  # `airflow`, `python` of Airflow
    copied = [c.value for s in pipelines for c in s if c.cmd == "COPY"]
    assert ("deploy/airflow/dags/", "/opt/airflow/dags/") in copied
    assert ("deploy/airflow/plugins/", "/opt/airflow/plugins/") in copied


def test_the_telemetry_image_runs_the_capture_cli_with_valid_arguments() -> None:
    runtime = chain("telemetry", "runtime")
    entrypoint = list(last(runtime, "ENTRYPOINT").value)
    scripts = tomllib.loads((REPO_ROOT / "telemetry_capture" / "pyproject.toml").read_text())
    assert entrypoint == ["telemetry-capture"]
    assert "telemetry-capture" in scripts["project"]["scripts"]
    args = build_parser().parse_args(list(last(runtime, "CMD").value))
    assert args.command == "server"
    listen_port = args.listen.rsplit(":", 1)[1]
    assert last(runtime, "EXPOSE").value == (f"{listen_port}/udp",)
    default_listen = build_parser().parse_args(["server", "--out", "x"]).listen
    assert listen_port == default_listen.rsplit(":", 1)[1]


def test_the_uv_image_matches_the_uv_of_ci() -> None:
    workflow = read_yaml(REPO_ROOT / ".github" / "workflows" / "ci.yml")
    for path in (DOCKERFILES["pitwall"], DOCKERFILES["telemetry"]):
        tag = dockerfile_global_args(path)["UV_IMAGE"].split("@")[0].rpartition(":")[2]
        assert tag == workflow["env"]["UV_VERSION"], path.name


def test_shell_scripts_pass_shellcheck() -> None:
    scripts = sorted(DEPLOY.rglob("*.sh"))
    assert scripts
    result = subprocess.run(
        [str(VENV_BIN / "shellcheck"), *map(str, scripts)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout
    for script in scripts:
        assert shlex.split(script.read_text().splitlines()[0])[0].startswith("#!")
