"""Where PostgreSQL comes from, and where the role passwords come from."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from pitwall.postgres.credentials import read_role_passwords
from pitwall.postgres.server import resolve_admin_dsn, role_dsn
from pitwall.settings import get_settings


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("PITWALL_PG_DSN", "PITWALL_PG_LOADER_PASSWORD", "PITWALL_PG_READER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_dsn_from_env_wins(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("PITWALL_PG_DSN", "postgresql://someone@db.example:5432/prod")
    get_settings.cache_clear()
    assert resolve_admin_dsn() == "postgresql://someone@db.example:5432/prod"


def test_without_dsn_the_embedded_server_under_home_is_used(
    settings_env: pytest.MonkeyPatch, embedded_home: Path, embedded_server: str
) -> None:
    settings_env.setenv("PITWALL_HOME", str(embedded_home))
    get_settings.cache_clear()

    dsn = resolve_admin_dsn()

    assert conninfo_to_dict(dsn)["dbname"] == "pitwall"
    with psycopg.connect(dsn) as conn:
        (data_directory,) = conn.execute("SHOW data_directory").fetchone() or ("",)
        assert conn.execute("SELECT current_user").fetchone() == ("postgres",)
    assert Path(data_directory).resolve() == (embedded_home / "data" / "pg").resolve()


def test_passwords_are_generated_once_and_stored_privately(
    settings_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = read_role_passwords(tmp_path)
    again = read_role_passwords(tmp_path)
    other_home = read_role_passwords(tmp_path / "other")

    store = tmp_path / "conf" / "local" / "postgres-passwords.json"
    assert first == again
    assert first.loader != first.reader
    assert other_home.loader != first.loader
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert first.loader not in repr(first)


def test_passwords_from_local_credentials_then_env(
    settings_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    local = tmp_path / "conf" / "local"
    local.mkdir(parents=True)
    (local / "credentials.yml").write_text(
        "pitwall_postgres:\n  loader_password: from-file-l\n  reader_password: from-file-r\n"
    )
    from_file = read_role_passwords(tmp_path)
    settings_env.setenv("PITWALL_PG_READER_PASSWORD", "from-env-r")
    mixed = read_role_passwords(tmp_path)

    assert (from_file.loader, from_file.reader) == ("from-file-l", "from-file-r")
    assert (mixed.loader, mixed.reader) == ("from-file-l", "from-env-r")
    assert not (tmp_path / "conf" / "local" / "postgres-passwords.json").exists()


def test_role_dsn_keeps_server_and_database() -> None:
    dsn = role_dsn("postgresql://postgres@127.0.0.1:5432/mirror", role="reader", password="pw")
    assert conninfo_to_dict(dsn) == {
        "user": "pitwall_reader",
        "password": "pw",
        "host": "127.0.0.1",
        "port": "5432",
        "dbname": "mirror",
    }
