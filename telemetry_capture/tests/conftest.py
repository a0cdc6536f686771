"""Shared fixtures: the real Assetto Corsa samples (read from ../shared, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_helpers import SAMPLES


@pytest.fixture(scope="session")
def samples() -> Path:
    assert SAMPLES.is_dir(), f"sample data missing at {SAMPLES}"
    return SAMPLES
