"""The suite runs in a temporary project home and finds a PostgreSQL DSN server."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg

from pitwall.settings import get_settings

from .conftest import REPO_ROOT


def test_the_session_home_is_not_the_working_tree() -> None:
    home = get_settings().home
    assert home != REPO_ROOT and not home.is_relative_to(REPO_ROOT)
    assert (home / "conf" / "base").is_dir() and (home / "data").resolve() != REPO_ROOT / "data"


def test_the_dsn_server_answers() -> None:
    dsn = os.environ["PITWALL_TEST_PG_DSN"]
    with psycopg.connect(dsn, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_without_5432_the_suite_starts_its_own_dsn_server(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "PITWALL_TEST_PG_DSN": "embedded"}
    env.pop("PITWALL_HOME", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         f"{REPO_ROOT}/tests/test_session_home.py::test_the_dsn_server_answers",
         f"{REPO_ROOT}/tests/postgres/test_roles.py", "-x"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
    assert "a second embedded server" in done.stdout
    assert " passed" in done.stdout and "skipped" not in done.stdout
