"""Production mode refuses template or empty secrets, naming them; the demo is unaffected.

Also: the dashboards get read-only S3 keys limited to the lake prefix (issue 16, findings 1, 7).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pitwall.production import (
    SECRET_NAME,
    TemplateSecretError,
    find_template_secrets,
    require_real_secrets,
)
from tests.conftest import REPO_ROOT
from tests.deploy.helpers import DEPLOY, interpolate, read_compose, read_env_example

INIT_ROLES = DEPLOY / "postgres" / "init_roles.py"
IDENTITIES = DEPLOY / "s3" / "write_identities.py"
PRODUCTION = {"PITWALL_ENV": "production"}


def _clean_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not SECRET_NAME.search(k) and "DSN" not in k}
    return keep | extra


def _run(command: list[str], env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        env=env | {"PITWALL_HOME": str(home)},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_every_secret_of_the_env_example_is_refused_as_is() -> None:
    example = read_env_example()
    secrets = {name for name in example if SECRET_NAME.search(name)}
    with pytest.raises(TemplateSecretError) as refused:
        require_real_secrets(example | PRODUCTION)
    assert set(refused.value.names) == secrets
    for name in secrets:
        assert name in str(refused.value)


def test_each_pitwall_service_of_compose_would_refuse_the_example() -> None:
    """With the example's values, each Pitwall container's own environment is refused."""
    example = read_env_example()
    for name, service in read_compose()["services"].items():
        environment = service.get("environment") or {}
        if not service.get("build") or environment.get("PITWALL_ENV") != "production":
            continue
        env = {k: interpolate(str(v), example) for k, v in environment.items()}
        assert find_template_secrets(env), name


def test_real_values_pass_and_urls_are_checked_by_their_password() -> None:
    env = PRODUCTION | {
        "AWS_SECRET_ACCESS_KEY": "k3y",
        "PITWALL_PG_DSN": "postgresql://postgres:s3cret@postgres:5432/pitwall",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://airflow:change-me@pg/air",
        "PITWALL_PG_LOADER_PASSWORD": "",
    }
    assert find_template_secrets(env) == [
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN (password)",
        "PITWALL_PG_LOADER_PASSWORD",
    ]
    assert find_template_secrets(env, required=["PITWALL_PG_READER_PASSWORD"])[0] == (
        "PITWALL_PG_READER_PASSWORD"
    )
    require_real_secrets({"AWS_SECRET_ACCESS_KEY": "k3y"} | PRODUCTION)


def test_the_demo_is_unaffected() -> None:
    require_real_secrets(read_env_example())  # no PITWALL_ENV: nothing checked
    require_real_secrets(read_env_example() | {"PITWALL_ENV": "development"})


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "api", "--port", "0"],
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--port", "0"],
    ],
    ids=["python -m api", "the image's uvicorn command"],
)
def test_the_api_refuses_to_start(command: list[str], tmp_path: Path) -> None:
    env = _clean_env(**PRODUCTION, AWS_SECRET_ACCESS_KEY="change-me", OAUTH_CLIENT_SECRET="")
    done = _run(command, env, tmp_path)
    assert done.returncode != 0
    assert "AWS_SECRET_ACCESS_KEY, OAUTH_CLIENT_SECRET" in done.stderr


def test_the_api_starts_outside_production(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = _clean_env(AWS_SECRET_ACCESS_KEY="change-me", PITWALL_API_CATALOG_REFRESH_S="0")
    env |= {"PITWALL_API_LAKE_URI": str(tmp_path / "lake")}
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port)],
        env=env | {"PITWALL_HOME": str(tmp_path)},
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in process.stderr:  # uvicorn logs its start on stderr
            if "Uvicorn running" in line or "Application startup complete" in line:
                break
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_postgres_bootstrap_refuses_to_run(tmp_path: Path) -> None:
    env = _clean_env(
        **PRODUCTION,
        PITWALL_PG_DSN="postgresql://postgres:change-me@127.0.0.1:9/pitwall",
        PITWALL_PG_LOADER_PASSWORD="change-me",
        PITWALL_PG_READER_PASSWORD="a-real-one",
    )
    done = _run([sys.executable, str(INIT_ROLES)], env, tmp_path)
    assert done.returncode == 2
    assert "PITWALL_PG_LOADER_PASSWORD, PITWALL_PG_DSN (password)" in done.stderr
    assert "a-real-one" not in done.stderr


def test_kedro_refuses_to_run(tmp_path: Path) -> None:
    kedro = Path(sys.executable).parent / "kedro"
    env = _clean_env(**PRODUCTION, PITWALL_PARTNER_API_CLIENT_SECRET="change-me")
    done = _run([str(kedro), "registry", "list"], env, tmp_path)
    assert done.returncode != 0
    assert "PITWALL_PARTNER_API_CLIENT_SECRET" in done.stderr


def test_the_store_identities_refuse_template_secrets(tmp_path: Path) -> None:
    env_file = tmp_path / "pitwall.env"
    env_file.write_text("\n".join(f"{k}={v}" for k, v in _identity_env().items()))
    env_file.write_text(
        env_file.read_text().replace(
            "PITWALL_READER_AWS_SECRET_ACCESS_KEY=x",
            "PITWALL_READER_AWS_SECRET_ACCESS_KEY=change-me",
        )
    )
    out = tmp_path / "s3.json"
    done = _run(
        [sys.executable, str(IDENTITIES), str(env_file), str(out)], dict(os.environ), tmp_path
    )
    assert done.returncode == 2
    assert "PITWALL_READER_AWS_SECRET_ACCESS_KEY" in done.stderr and not out.exists()


def _identity_env() -> dict[str, str]:
    names = (
        "S3_ADMIN_ACCESS_KEY_ID S3_ADMIN_SECRET_ACCESS_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY "
        "PITWALL_READER_AWS_ACCESS_KEY_ID PITWALL_READER_AWS_SECRET_ACCESS_KEY "
        "PITWALL_BACKUP_ACCESS_KEY_ID PITWALL_BACKUP_SECRET_ACCESS_KEY"
    )
    return {k: "x" for k in names.split()} | {
        "PITWALL_LAKE_BUCKET": "bucket",
        "PITWALL_BACKUP_BUCKET": "backups",
    }


def test_the_dashboards_hold_read_only_keys_limited_to_the_lake() -> None:
    environment = read_compose()["services"]["dashboards"]["environment"]
    assert environment["AWS_ACCESS_KEY_ID"] == "${PITWALL_READER_AWS_ACCESS_KEY_ID:?}"
    assert environment["AWS_SECRET_ACCESS_KEY"] == "${PITWALL_READER_AWS_SECRET_ACCESS_KEY:?}"
    writer = {"${AWS_ACCESS_KEY_ID:?}", "${AWS_SECRET_ACCESS_KEY:?}"}
    assert not writer & set(map(str, environment.values()))
    # the reader's identity in the store: read and list under lake/ only
    spec = importlib.util.spec_from_file_location("write_identities", IDENTITIES)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    reader = next(
        i for i in module.identities(_identity_env())["identities"] if i["name"] == "reader"
    )
    assert reader["actions"] == ["Read:bucket/lake", "List:bucket/lake"]
