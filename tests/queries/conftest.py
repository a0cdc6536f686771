"""An Assetto Corsa lake written once per session and a DuckDB catalog over it."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import pytest

from pitwall.lake.layout import Lake, get_lake
from pitwall.sql import connect
from tests.queries.ac_lake import write_ac_lake


@pytest.fixture(scope="session")
def ac_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = get_lake(str(tmp_path_factory.mktemp("ac-lake")))
    write_ac_lake(lake)
    return lake


@pytest.fixture
def con(ac_lake: Lake) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(ac_lake)
    yield connection
    connection.close()
