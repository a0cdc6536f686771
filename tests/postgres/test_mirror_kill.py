"""A mirror SIGKILLed at any point leaves every table at its last complete state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psycopg
import pytest

from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake
from pitwall.postgres.mirror import KILL_ENV, mirror_lake
from pitwall.postgres.options import MirrorOptions
from tests.postgres.fixtures import PgDatabase
from tests.postgres.helpers import lake_rows, laps, mirrored_version, pg_rows

OPTIONS = MirrorOptions(keys={"a_laps": ["lap_id"], "b_laps": ["lap_id"]})
_RUN = (
    "import os, sys\n"
    "from pitwall.lake.layout import get_lake\n"
    "from pitwall.postgres.mirror import mirror_lake\n"
    "from pitwall.postgres.options import MirrorOptions\n"
    "options = MirrorOptions.model_validate_json(sys.argv[2])\n"
    "mirror_lake(get_lake(sys.argv[1]), options=options, dsn=os.environ['TEST_LOADER_DSN'])\n"
)


def _run_mirror_subprocess(lake: Lake, dsn: str, *, kill_at: str) -> int:
    env = {**os.environ, KILL_ENV: kill_at, "TEST_LOADER_DSN": dsn}
    done = subprocess.run(
        [sys.executable, "-c", _RUN, lake.root, OPTIONS.model_dump_json()],
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    return done.returncode


@pytest.mark.parametrize(
    "kill_at",
    [
        "copied:clean.a_laps",  # upsert path: rows staged, target untouched yet
        "applied:clean.a_laps",  # upsert applied and state written, not committed
        "copied:clean.b_laps",  # swap path: new table filled, old one still live
        "swapped:clean.b_laps",  # old table dropped, new one renamed, not committed
        "applied:clean.b_laps",  # state row written, not committed
    ],
)
def test_killed_mirror_keeps_previous_state_and_next_run_completes(
    pg: PgDatabase, lake: Lake, kill_at: str
) -> None:
    a_uri, b_uri = lake.table_uri("clean", "a_laps"), lake.table_uri("clean", "b_laps")
    write_table(laps(range(100)), a_uri)
    write_table(laps(range(10)), b_uri)
    mirror_lake(lake, options=OPTIONS, dsn=pg.loader)
    before = {t: pg_rows(pg.loader, "clean", t, order_by="lap_id") for t in ("a_laps", "b_laps")}
    write_table(laps(range(100, 103)), a_uri)  # small: upsert
    write_table(laps(range(10), ms=1), b_uri, mode="overwrite")  # everything: swap

    returncode = _run_mirror_subprocess(lake, pg.loader, kill_at=kill_at)

    assert returncode == -signal.SIGKILL
    killed_table = kill_at.split(":clean.")[1]
    assert pg_rows(pg.loader, "clean", killed_table, order_by="lap_id") == before[killed_table]
    assert mirrored_version(pg.loader, "clean", killed_table) == 0
    if killed_table == "b_laps":  # a_laps was committed before b_laps started
        assert mirrored_version(pg.loader, "clean", "a_laps") == 1
    with psycopg.connect(pg.admin) as conn:
        leftovers = conn.execute(
            "SELECT relname FROM pg_class WHERE relname LIKE '%pitwall%' AND relkind = 'r'"
        ).fetchall()
    assert leftovers == []

    summaries = mirror_lake(lake, options=OPTIONS, dsn=pg.loader)

    assert {s.table: s.delta_version for s in summaries} == {"a_laps": 1, "b_laps": 1}
    for table in ("a_laps", "b_laps"):
        assert pg_rows(pg.loader, "clean", table, order_by="lap_id") == lake_rows(
            lake, "clean", table, order_by="lap_id"
        )
        assert mirrored_version(pg.loader, "clean", table) == 1
