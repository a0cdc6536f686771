"""The supply chain is pinned: every GitHub Action by a full commit SHA (its tag in a comment),
every image by digest: workflows, compose, the Helm chart and the Airflow values (the
Dockerfiles' base images: tests/deploy/test_dockerfiles.py).
A test of the checker itself makes sure it fails on what it must."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT
from tests.deploy.helpers import (
    COMPOSE,
    COMPOSE_BUILD,
    DEPLOY,
    read_yaml,
)

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
USES = re.compile(r"^\s*-?\s*uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<tag>\S+))?\s*$")
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
TAG = re.compile(r"^v?\d+(\.\d+)*$")
THIRD_PARTY_IMAGE = re.compile(r"^[\w./-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$")
OUR_IMAGE = re.compile(r"^\$\{PITWALL_REGISTRY:\?\}/[a-z]+@\$\{PITWALL_[A-Z]+_DIGEST:\?\}$")


def unpinned_actions(text: str) -> list[str]:
    """``uses:`` lines not pinned to a full SHA with a version tag comment."""
    bad = []
    for line in text.splitlines():
        if "uses:" not in line or line.lstrip().startswith("#"):
            continue
        match = USES.match(line)
        ref = match["ref"] if match else line.strip()
        if ref.startswith("./"):
            continue  # a local action is part of this commit
        if not (match and PINNED_ACTION.match(ref) and match["tag"] and TAG.match(match["tag"])):
            bad.append(line.strip())
    return bad


def walk_images(node: Any) -> Iterator[str]:
    """Every ``image:`` string anywhere in a YAML document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                yield value
            else:
                yield from walk_images(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk_images(item)


def unpinned_images(images: list[str], *, ours_allowed: bool = False) -> list[str]:
    return [
        i
        for i in images
        if not THIRD_PARTY_IMAGE.match(i) and not (ours_allowed and OUR_IMAGE.match(i))
    ]


def test_the_checkers_catch_unpinned_references() -> None:
    bad_actions = """
      - uses: actions/checkout@v4
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
      - uses: aquasecurity/trivy-action@0.33.1 # 0.33.1
      - uses: docker/login-action@c94ce9fb # v3.7.0
    """
    assert len(unpinned_actions(bad_actions)) == 4
    good = "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"
    assert unpinned_actions(good) == []
    assert unpinned_images(["redis:7", "redis@sha256:abc", "${PITWALL_REGISTRY:?}/api:x"]) == [
        "redis:7", "redis@sha256:abc", "${PITWALL_REGISTRY:?}/api:x"]  # fmt: skip
    digest = "sha256:" + "a" * 64
    assert unpinned_images([f"redis:7.4@{digest}", f"quay.io/x/y@{digest}"]) == []


@pytest.mark.parametrize("workflow", sorted(WORKFLOWS.glob("*.y*ml")), ids=lambda p: p.name)
def test_every_action_is_pinned_by_sha(workflow: Path) -> None:
    assert unpinned_actions(workflow.read_text()) == []


@pytest.mark.parametrize("workflow", sorted(WORKFLOWS.glob("*.y*ml")), ids=lambda p: p.name)
def test_every_workflow_image_is_pinned_by_digest(workflow: Path) -> None:
    images = []  # service containers and job containers (a matrix's `image` is a name)
    for job in read_yaml(workflow)["jobs"].values():
        for service in (job.get("services") or {}).values():
            images.append(service["image"])
        container = job.get("container")
        if container:
            images.append(container if isinstance(container, str) else container["image"])
    assert unpinned_images(images) == []


def test_trivy_action_is_at_least_0_35_0() -> None:
    for workflow in WORKFLOWS.glob("*.y*ml"):
        for tag in re.findall(r"aquasecurity/trivy-action@[0-9a-f]{40} # v?([\d.]+)",
                              workflow.read_text()):  # fmt: skip
            assert tuple(int(p) for p in tag.split(".")) >= (0, 35, 0), tag


def test_every_compose_image_is_pinned_by_digest() -> None:
    images = list(walk_images(read_yaml(COMPOSE)))
    assert len(images) >= 15
    assert unpinned_images(images, ours_allowed=True) == []
    # the local-build overlay tags what it builds itself; it never names a registry image
    for image in walk_images(read_yaml(COMPOSE_BUILD)):
        assert image.startswith("pitwall-local/"), image


def test_helm_values_pin_images_by_digest() -> None:
    values = read_yaml(DEPLOY / "helm" / "pitwall" / "values.yaml")
    for name, image in values["images"].items():
        if isinstance(image, dict):
            assert set(image) == {"repository", "digest"}, name  # no tag to drift
    airflow = read_yaml(DEPLOY / "helm" / "airflow-values.yaml")["images"]["airflow"]
    assert "tag" not in airflow and "digest" in airflow
    # the rendered chart's images are checked in tests/deploy/test_helm.py


def test_renovate_keeps_actions_and_images_fresh() -> None:
    import json

    config = json.loads((REPO_ROOT / ".github" / "renovate.json").read_text())
    assert "helpers:pinGitHubActionDigestsToSemver" in config["extends"]
    assert "docker:pinDigests" in config["extends"]
    managers = set(config["enabledManagers"])
    assert {"github-actions", "docker-compose", "dockerfile", "helm-values"} <= managers
