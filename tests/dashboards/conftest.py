"""A demo-like AC lake (built once per session, read-only); ``con`` (tests/conftest.py) reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pitwall.lake.layout import Lake, get_lake
from pitwall.sql import connect
from tests.dashboards.fixture_lake import write_fixture_lake


@pytest.fixture(scope="session")
def ac_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The fixture lake of :mod:`tests.dashboards.fixture_lake` (do not write to it)."""
    lake = get_lake(str(tmp_path_factory.mktemp("dashboards") / "lake"))
    write_fixture_lake(lake)
    return lake


@pytest.fixture
def empty_con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A catalog over a lake with no table at all."""
    connection = connect(get_lake(str(tmp_path / "empty-lake")))
    yield connection
    connection.close()
