"""Shared fixtures: the real Assetto Corsa samples (read from ../shared, never copied).

``../shared`` sits beside the repository in CI and on the team's machines, not in a user's
clone: the tests that read it carry the ``shared_data`` marker (``pytest -m shared_data`` runs
just them) and skip, with the reason, when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_helpers import SAMPLES

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(HERE) and "samples" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared_data)


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"no real AC samples at {SAMPLES} (../shared is absent from this clone)")
    return SAMPLES
