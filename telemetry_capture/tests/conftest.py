"""Shared fixtures: the real Assetto Corsa samples (read from ../shared, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_helpers import SAMPLES


@pytest.fixture(scope="session")
def samples() -> Path:
    if not SAMPLES.is_dir():
        pytest.skip(f"no real AC samples at {SAMPLES} (../shared is absent from this clone)")
    return SAMPLES
