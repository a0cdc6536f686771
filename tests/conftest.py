"""Shared fixtures: an isolated lake per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pitwall.lake.layout import Lake, get_lake
from pitwall.settings import get_settings
from pitwall.sql import connect

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def con(ac_lake: Lake) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB catalog over the directory's own ``ac_lake`` fixture."""
    connection = connect(ac_lake)
    yield connection
    connection.close()


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lake]:
    """A fresh local lake under tmp_path, also exported as PITWALL_LAKE_URI."""
    root = tmp_path / "lake"
    monkeypatch.setenv("PITWALL_LAKE_URI", str(root))
    get_settings.cache_clear()
    yield get_lake()
    get_settings.cache_clear()
