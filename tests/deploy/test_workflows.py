""".github/workflows/ci.yml: valid, complete, and running the same commands as .ci/run."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.deploy.helpers import VENV_BIN, built_image_name, read_compose_builds, read_yaml

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


@pytest.fixture(scope="module")
def jobs() -> dict[str, Any]:
    return read_yaml(WORKFLOW)["jobs"]


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"].strip() for step in job["steps"] if "run" in step]


def uses(job: dict[str, Any]) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def make_recipe(target: str) -> list[str]:
    """The commands of a Makefile target, with ``$(UV)`` as plain ``uv``."""
    lines = (REPO_ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip().lstrip("@").replace("$(UV)", "uv"))
    return recipe


def test_workflow_is_valid_against_the_github_schema() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
        + [str(p) for p in sorted(WORKFLOW.parent.glob("*.yml"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stage_of_the_pipeline_is_a_job(jobs: dict[str, Any]) -> None:
    assert {"lint", "static-analysis", "test", "images", "trivy", "sign", "deploy"} <= set(jobs)


def test_lint_and_static_analysis_are_make_lint(jobs: dict[str, Any]) -> None:
    ci_run = (REPO_ROOT / ".ci" / "run").read_text()
    assert "make lint" in ci_run and "make test" in ci_run
    commands = runs(jobs["lint"]) + runs(jobs["static-analysis"])
    assert [c for c in commands if not c.startswith("uv sync")] == make_recipe("lint")
    assert any(c.startswith("uv run ruff") for c in runs(jobs["lint"]))
    assert any(c.startswith("uv run bandit") for c in runs(jobs["static-analysis"]))


def test_ci_run_proves_the_fresh_clone_path_then_the_shared_data_tests() -> None:
    """.ci/run: ``make demo SERVE=0`` then ``make test`` once in a fresh clone with no
    ``../shared`` beside it, then only the shared-data tests with ``../shared`` present."""
    lines = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]

    def at(prefix: str) -> int:
        return next(i for i, line in enumerate(code) if line.startswith(prefix))

    clone = at('git clone --quiet "$PWD" "$scratch/pitwall"')
    assert code[clone + 1] == 'test ! -e "$scratch/shared"'
    assert clone < at('cd "$scratch/pitwall"') < at("make demo SERVE=0") < at("make test ||")
    shared = at('make test PYTEST_ARGS="-m shared_data')
    assert at("make test ||") < shared
    assert "cd " not in " ".join(code[at('exit "$status"') : shared])  # in this checkout


def test_tests_run_make_test_with_postgresql(jobs: dict[str, Any]) -> None:
    test = jobs["test"]
    assert runs(test) == ["make test"]
    assert test["services"]["postgres"]["image"].startswith("postgres:")
    assert "5432:5432" in test["services"]["postgres"]["ports"]
    assert test["env"]["PITWALL_PG_DSN"].startswith("postgresql://postgres@127.0.0.1:5432/")


def test_every_built_image_is_built_scanned_and_signed(jobs: dict[str, Any]) -> None:
    built = {built_image_name(build): build for build in read_compose_builds().values()}
    matrix = {m["image"]: m for m in jobs["images"]["strategy"]["matrix"]["include"]}
    assert set(matrix) == set(built)
    for image, build in built.items():
        assert matrix[image]["dockerfile"] == build["dockerfile"]
        assert matrix[image]["target"] == build.get("target", "runtime")
    assert set(jobs["trivy"]["strategy"]["matrix"]["image"]) == set(built)
    assert set(jobs["sign"]["strategy"]["matrix"]["image"]) == set(built)


def test_scan_gates_sign_and_deploy_verifies(jobs: dict[str, Any]) -> None:
    gates = [s["with"] for s in jobs["trivy"]["steps"]
             if s.get("uses", "").startswith("aquasecurity/trivy-action")
             and s["with"].get("exit-code") == "1"]  # fmt: skip
    assert gates and "CRITICAL" in gates[0]["severity"]
    assert jobs["sign"]["needs"] == ["trivy"]
    assert jobs["sign"]["permissions"]["id-token"] == "write"
    assert "sigstore/cosign-installer" in uses(jobs["sign"])
    assert any("cosign sign --yes" in r and "@$digest" in r for r in runs(jobs["sign"]))
    deploy = jobs["deploy"]
    assert set(deploy["needs"]) == {"test", "sign"}
    assert "refs/heads/main" in deploy["if"]
    # the deploy resolves each digest, verifies that digest, and compose pulls exactly it
    resolve = next(r for r in runs(deploy) if "imagetools inspect" in r)
    assert 'cosign verify "$IMAGE_PREFIX/$image@$digest"' in resolve
    assert "_DIGEST=$digest" in resolve and "images.env" in resolve
    roll_out = next(r for r in runs(deploy) if "docker compose" in r)
    assert "deploy/compose.yaml" in roll_out and "--env-file deploy/env/images.env" in roll_out
    assert "PITWALL_TAG" not in roll_out and "compose.build.yaml" not in roll_out


def test_run_steps_pass_shellcheck(jobs: dict[str, Any], tmp_path: Path) -> None:
    scripts = []
    for name, job in jobs.items():
        for index, script in enumerate(runs(job)):
            path = tmp_path / f"{name}-{index}.sh"
            # GitHub expressions are substituted before the shell sees the script
            header = "#!/usr/bin/env bash\nset -euo pipefail\n"
            path.write_text(header + EXPRESSION.sub("x", script))
            scripts.append(str(path))
    result = subprocess.run(
        [str(VENV_BIN / "shellcheck"), *scripts], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout
