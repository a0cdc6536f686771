"""docs/deploy.md names only files and commands that exist."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT

DOC = REPO_ROOT / "docs" / "deploy.md"


def test_every_path_the_deploy_guide_names_exists() -> None:
    text = DOC.read_text()
    paths = set(re.findall(r"`((?:deploy|conf|docs|\.github)/[^`\s*<>]+)`", text))
    assert len(paths) >= 10
    missing = sorted(p for p in paths if not (REPO_ROOT / p.rstrip("/")).exists())
    assert missing == []


def test_the_guide_covers_kubernetes_and_scale_out() -> None:
    text = DOC.read_text()
    for heading in ("## From compose to Kubernetes", "## What scales out"):
        assert heading in text
    for topic in ("one per rig or server", "lake is on S3", "Airflow workers"):
        assert topic in text
