"""An Assetto Corsa lake written once per session; ``con`` (tests/conftest.py) reads it."""

from __future__ import annotations

import pytest

from pitwall.lake.layout import Lake, get_lake
from tests.queries.ac_lake import write_ac_lake


@pytest.fixture(scope="session")
def ac_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake = get_lake(str(tmp_path_factory.mktemp("ac-lake")))
    write_ac_lake(lake)
    return lake
