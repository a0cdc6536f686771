"""docs/deploy.md and docs/operations.md name only files and commands that exist."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "deploy.md"
OPERATIONS = REPO_ROOT / "docs" / "operations.md"
PATH = re.compile(r"`((?:deploy|conf|docs|tests|\.github)/[^`\s*<>]+)`")


def generated(path: str) -> bool:
    """Files the setup scripts write on a host (git-ignored): certificates, env files."""
    ignored = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO_ROOT, check=False)
    return path.startswith("deploy/env/") and ignored.returncode == 0


@pytest.mark.parametrize("doc", [DOC, OPERATIONS], ids=lambda p: p.name)
def test_every_path_the_guides_name_exists(doc: Path) -> None:
    paths = set(PATH.findall(doc.read_text()))
    assert len(paths) >= 10
    missing = sorted(
        p for p in paths if not (REPO_ROOT / p.rstrip("/")).exists() and not generated(p)
    )
    assert missing == []


def test_the_guide_covers_kubernetes_and_scale_out() -> None:
    text = DOC.read_text()
    for heading in (
        "## From a laptop to a cluster, with the same images",
        "## From compose to Kubernetes",
        "## What scales out",
        "## Safe S3 commits with several writers",
    ):
        assert heading in text
    for topic in ("one per rig or server", "lake is on S3", "Airflow workers",
                  "AWS_CONDITIONAL_PUT=etag", "KubernetesExecutor"):  # fmt: skip
        assert topic in text


def test_operations_cover_backups_restores_and_alerts() -> None:
    text = OPERATIONS.read_text()
    for heading in ("## PostgreSQL backups", "## Restore drill", "## The lake's recovery",
                    "## Metrics", "## Alerts from Airflow", "## The WAF"):  # fmt: skip
        assert heading in text
    assert "pitwall-pitr" in text and "drill --target-time" in text
