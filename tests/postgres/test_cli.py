"""``pitwall mirror run`` and ``pitwall mirror status`` against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake
from pitwall.postgres.cli import app
from pitwall.settings import get_settings
from tests.postgres.fixtures import PgDatabase
from tests.postgres.helpers import laps, mirrored_version


@pytest.fixture
def project(
    pg: PgDatabase, lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> PgDatabase:
    """A project home with the mirror's parameters, the lake and the server from env."""
    home = tmp_path / "home"
    (home / "conf" / "base").mkdir(parents=True)
    (home / "conf" / "local").mkdir()
    (home / "conf" / "base" / "parameters_mirror_postgres.yml").write_text(
        "mirror_postgres:\n  keys:\n    laps: [lap_id]\n"
    )
    monkeypatch.setenv("PITWALL_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "200")  # rich tables on one line each
    monkeypatch.setenv("PITWALL_PG_DSN", pg.admin)
    monkeypatch.setenv("PITWALL_PG_LOADER_PASSWORD", pg.passwords.loader)
    monkeypatch.setenv("PITWALL_PG_READER_PASSWORD", pg.passwords.reader)
    get_settings.cache_clear()
    return pg


def test_run_then_status(project: PgDatabase, lake: Lake) -> None:
    write_table(laps(range(7)), lake.table_uri("clean", "laps"))
    write_table(laps(range(2)), lake.table_uri("clean", "pits"))
    runner = CliRunner()

    before = runner.invoke(app, ["status"], terminal_width=200)
    ran = runner.invoke(app, ["run"], terminal_width=200)
    write_table(laps(range(2, 3)), lake.table_uri("clean", "pits"))
    after = runner.invoke(app, ["status"], terminal_width=200)

    assert before.exit_code == 0, before.output
    assert "clean.laps" in before.output and "not mirrored" in before.output
    assert ran.exit_code == 0, ran.output
    assert "swap" in ran.output
    assert mirrored_version(project.loader, "clean", "laps") == 0
    assert after.exit_code == 0, after.output
    lines = {line.split()[1]: line for line in after.output.splitlines() if "clean." in line}
    assert "up to date" in lines["clean.laps"] and " 7 " in lines["clean.laps"]
    assert "behind" in lines["clean.pits"]


def test_run_reports_failures_with_exit_code(project: PgDatabase, lake: Lake) -> None:
    write_table(laps([1, 1]), lake.table_uri("clean", "laps"))  # duplicate natural key

    ran = CliRunner().invoke(app, ["run"], terminal_width=200)

    assert ran.exit_code == 1
    assert "failed" in ran.output
