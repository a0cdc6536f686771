"""deploy/compose.yaml: valid against the Compose spec, complete, and in step with the code."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from telemetry_capture.cli import build_parser

from api.settings import ApiSettings
from pitwall.settings import PitwallSettings
from tests.conftest import REPO_ROOT
from tests.deploy.airflow_env import ensure_airflow_venv
from tests.deploy.helpers import (
    COMPOSE,
    DEPLOY,
    ENV_EXAMPLE,
    VENV_BIN,
    built_image_name,
    compose_variables,
    dockerfile_stages,
    dockerignore_included,
    interpolate,
    read_compose,
    read_compose_builds,
    read_env_example,
    read_yaml,
)

REQUIRED_SERVICES = {
    "traefik", "keycloak", "oauth2-proxy", "postgres", "pg-init", "pg-backup", "s3", "s3-init",
    "redis", "api", "dashboards", "capture-server", "airflow-init", "airflow-apiserver",
    "airflow-scheduler", "airflow-dag-processor", "airflow-worker", "airflow-flower",
}  # fmt: skip
# services that keep a writable root, and why (compose comments say the same)
WRITABLE_ROOT = {"keycloak": "re-augments its Quarkus build under /opt/keycloak at start"}
# files under deploy/env/ that the setup scripts generate (git-ignored, never committed)
GENERATED = {"./env/s3.json", "./env/tls/ca.crt", "./env/tls/postgres.crt",
             "./env/tls/postgres.key", "./env/tls/s3.crt", "./env/tls/s3.key"}  # fmt: skip
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|COOKIE")
CODE_DIRS = ("src", "api", "conf", "telemetry_capture/src", "deploy/postgres",
             "deploy/airflow/plugins", "deploy/s3")  # fmt: skip
OUR_IMAGE = re.compile(
    r"^\$\{PITWALL_REGISTRY:\?\}/(?P<name>[a-z]+)@\$\{PITWALL_(?P<var>[A-Z]+)_DIGEST:\?\}$"
)


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return read_compose()["services"]


def command_of(service: dict[str, Any]) -> list[str]:
    env = read_env_example()
    return [interpolate(part, env) for part in service["command"]]


def env_names(service: dict[str, Any]) -> set[str]:
    return set(service.get("environment") or {})


def check_compose_spec(path: Path) -> subprocess.CompletedProcess[str]:
    schema = ["--builtin-schema", "vendor.compose-spec"]
    return subprocess.run(
        [str(VENV_BIN / "check-jsonschema"), *schema, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_compose_file_is_valid_against_the_compose_spec(tmp_path: Path) -> None:
    result = check_compose_spec(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "compose.yaml"
    broken.write_text("services:\n  api:\n    image: x\n    depends_on: 3\n")
    assert check_compose_spec(broken).returncode != 0


def test_every_part_of_the_platform_is_a_service(services: dict[str, Any]) -> None:
    assert set(services) >= REQUIRED_SERVICES


def test_our_images_are_pulled_by_digest_and_built_by_the_overlay(
    services: dict[str, Any],
) -> None:
    builds = read_compose_builds()
    ours = {n: OUR_IMAGE.match(s["image"]) for n, s in services.items()
            if s["image"].startswith("${PITWALL_REGISTRY")}  # fmt: skip
    assert all(ours.values()), ours
    assert set(builds) == set(ours)  # the overlay builds exactly the images we pull
    for name, match in ours.items():
        assert match and match["var"] == match["name"].upper(), name
        build = builds[name]
        context = (DEPLOY / build["context"]).resolve()
        assert context == REPO_ROOT, name
        dockerfile = context / build["dockerfile"]
        assert dockerfile.is_file(), name
        assert build["target"] in dockerfile_stages(dockerfile), name
        assert built_image_name(build) == match["name"], name


def test_every_bind_mount_exists(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source in GENERATED:
                ignored = subprocess.run(["git", "check-ignore", "-q", f"deploy/{source[2:]}"],
                                         cwd=REPO_ROOT, check=False)  # fmt: skip
                assert ignored.returncode == 0, f"{name}: {source} must be git-ignored"
            elif source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
            else:
                assert source in read_compose()["volumes"], f"{name}: {source}"


def test_dependencies_exist_and_have_no_cycle(services: dict[str, Any]) -> None:
    def needs(name: str) -> set[str]:
        depends = services[name].get("depends_on") or {}
        return set(depends)

    for name in services:
        assert needs(name) <= set(services), name
        seen, todo = set(), list(needs(name))
        while todo:
            current = todo.pop()
            assert current != name, f"dependency cycle through {name}"
            if current not in seen:
                seen.add(current)
                todo.extend(needs(current))


def test_every_variable_comes_from_the_env_file_and_none_is_dead() -> None:
    used = compose_variables(COMPOSE.read_text())
    example = read_env_example()
    missing = {n for n, rest in used.items() if n not in example and not rest.startswith(":-")}
    assert missing == set()
    assert set(example) - set(used) == set()
    for name, rest in used.items():
        if SECRET_NAME.search(name):
            assert rest.startswith(":?"), f"{name} must be required, with no default"


def test_the_env_example_holds_no_secret_and_real_env_files_are_never_committed() -> None:
    for name, value in read_env_example().items():
        if SECRET_NAME.search(name):
            assert value == "change-me", name
    tracked = subprocess.run(
        ["git", "ls-files", "deploy"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ENV_EXAMPLE.relative_to(REPO_ROOT).as_posix() in tracked
    assert [p for p in tracked if p.endswith(".env")] == []
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/env/pitwall.env"], cwd=REPO_ROOT, check=False
    )
    assert ignored.returncode == 0


def test_only_traefik_and_the_capture_daemon_publish_ports(services: dict[str, Any]) -> None:
    published = {n: s["ports"] for n, s in services.items() if s.get("ports")}
    assert published == {
        "traefik": ["80:80", "443:443", "127.0.0.1:8443:8443"],  # internal entry point: loopback
        "capture-server": ["12000:12000/udp"],
    }


def test_long_running_services_are_hardened(services: dict[str, Any]) -> None:
    for name, service in services.items():
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("cap_drop") == ["ALL"], name
        assert service.get("restart") in ("unless-stopped", "no"), name
        assert service["read_only"] is (name not in WRITABLE_ROOT), name
        limits = service["deploy"]["resources"]["limits"]
        assert {"cpus", "memory", "pids"} <= set(limits), name


def test_every_service_has_a_healthcheck(services: dict[str, Any]) -> None:
    traefik_services = read_yaml(DEPLOY / "traefik" / "dynamic" / "pitwall.yml")["http"]["services"]
    for name, service in services.items():
        check = service["healthcheck"]
        if check.get("disable"):
            # one-shot jobs are awaited with service_completed_successfully; the distroless
            # oauth2-proxy has no client inside, so Traefik probes it
            one_shot = service["restart"] == "no"
            probed = traefik_services.get(name, {}).get("loadBalancer", {}).get("healthCheck")
            assert one_shot or probed, f"{name}: healthcheck disabled without a reason"
            continue
        test = check["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name
    for name, service in services.items():  # waiting on health needs a healthcheck
        for dependency, condition in (service.get("depends_on") or {}).items():
            if isinstance(condition, dict) and condition["condition"] == "service_healthy":
                assert not services[dependency]["healthcheck"].get("disable"), (name, dependency)


def test_redis_requires_a_password_never_on_its_command_line(services: dict[str, Any]) -> None:
    redis = services["redis"]
    assert '--requirepass "$$REDIS_PASSWORD"' in " ".join(redis["command"])
    assert redis["environment"]["REDIS_PASSWORD"] == "${REDIS_PASSWORD:?}"
    assert "REDISCLI_AUTH" in " ".join(redis["healthcheck"]["test"])
    broker = services["airflow-worker"]["environment"]["AIRFLOW__CELERY__BROKER_URL"]
    assert broker.startswith("redis://:${REDIS_PASSWORD:?}@redis:6379/")


def test_every_postgres_client_verifies_the_server_certificate(services: dict[str, Any]) -> None:
    server = " ".join(services["postgres"]["command"])
    assert "ssl=on" in server and "hba_file=/etc/postgresql/pg_hba.conf" in server
    hba = (DEPLOY / "postgres" / "pg_hba.conf").read_text().splitlines()
    rules = [line.split() for line in hba if line.strip() and not line.startswith("#")]
    assert {r[0] for r in rules} == {"local", "hostssl"}  # no plain TCP at all
    found = 0
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if isinstance(value, str) and re.search(
                r"postgres(ql)?(\+\w+)?://|jdbc:postgresql", value
            ):
                found += 1
                assert "sslmode=verify-full" in value and "sslrootcert=/certs/ca.crt" in value, (
                    f"{name}: {key}"
                )
                assert "./env/tls/ca.crt:/certs/ca.crt:ro" in service["volumes"], name
    assert found >= 5


def test_postgres_archives_wal_and_the_backup_job_uses_the_same_bucket(
    services: dict[str, Any],
) -> None:
    server = services["postgres"]
    command = " ".join(server["command"])
    assert "archive_mode=on" in command
    assert "archive_command=/usr/bin/python3 /usr/local/bin/pitwall-pitr wal-push %p %f" in command
    backup = services["pg-backup"]
    target = {k: v for k, v in server["environment"].items() if k.startswith(("PITWALL_B", "AWS"))}
    assert target["PITWALL_BACKUP_URI"].startswith("s3://${PITWALL_BACKUP_BUCKET:?}/")
    assert target["AWS_ACCESS_KEY_ID"] == "${PITWALL_BACKUP_ACCESS_KEY_ID:?}"  # not the lake's
    assert target.items() <= backup["environment"].items()
    assert backup["image"] == server["image"]
    assert backup["environment"]["PGSSLMODE"] == "verify-full"
    dockerfile = (DEPLOY / "docker" / "postgres.Dockerfile").read_text()
    assert "deploy/postgres/pitr.py /usr/local/bin/pitwall-pitr" in dockerfile


def test_capture_daemons_use_the_cli_and_its_default_ports(services: dict[str, Any]) -> None:
    parser = build_parser()
    defaults = parser.parse_args(["server", "--out", "x"])
    game_default = parser.parse_args(["game", "--out", "x"]).game
    env = read_env_example()
    server = parser.parse_args(command_of(services["capture-server"]))
    assert server.command == "server"
    listen_port = server.listen.rsplit(":", 1)[1]
    assert listen_port == defaults.listen.rsplit(":", 1)[1]  # 12000
    assert f"{listen_port}:{listen_port}/udp" in services["capture-server"]["ports"]
    assert env["AC_SERVER_ADDRESS"].rsplit(":", 1)[1] == defaults.server.rsplit(":", 1)[1]
    game = parser.parse_args(command_of(services["capture-game"]))
    assert game.command == "game"
    assert env["AC_GAME_ADDRESS"].rsplit(":", 1)[1] == game_default.rsplit(":", 1)[1]  # 9996
    # the daemons upload to the bucket's landing zone, which the worker ingests from; their
    # volume is a spool only
    worker = services["airflow-worker"]
    landing = interpolate(worker["environment"]["PITWALL_ASSETTO_LANDING"], env)
    assert landing.startswith("s3://")
    capture_volume = next(v for v in services["capture-server"]["volumes"]).split(":")
    assert not any(v.startswith(f"{capture_volume[0]}:") for v in worker["volumes"])
    assert server.out.startswith(capture_volume[1] + "/")
    for daemon in (server, game):
        assert daemon.upload.rsplit("/", 1)[0] == landing
        assert daemon.local_copies == "delete"
    # every landing zone is in the bucket: a worker on any host runs any pipeline
    for source in ("csv", "scraper"):
        other = interpolate(worker["environment"][f"PITWALL_{source.upper()}_LANDING"], env)
        assert other == landing.replace("/assetto", f"/{source}")
    assert [v for v in worker["volumes"] if "landing" in v] == []


def test_pg_init_runs_the_projects_role_bootstrap(services: dict[str, Any]) -> None:
    command = command_of(services["pg-init"])
    assert command[0] == "/app/.venv/bin/python"
    script = command[1]
    assert (REPO_ROOT / script).is_file()
    assert script in dockerignore_included(DEPLOY / "docker" / "pitwall.Dockerfile")
    assert {"PITWALL_PG_DSN", "PITWALL_PG_LOADER_PASSWORD", "PITWALL_PG_READER_PASSWORD"} <= (
        env_names(services["pg-init"])
    )
    assert services["airflow-worker"]["depends_on"]["pg-init"] == {
        "condition": "service_completed_successfully"
    }


def test_every_pitwall_variable_is_read_by_the_code(services: dict[str, Any]) -> None:
    code = "\n".join(
        p.read_text(errors="replace")
        for d in CODE_DIRS
        for p in (REPO_ROOT / d).rglob("*")
        if p.suffix in (".py", ".yml", ".yaml") and p.is_file()
    )
    settings = {f"PITWALL_{f.upper()}" for f in PitwallSettings.model_fields}
    settings |= {f"PITWALL_API_{f.upper()}" for f in ApiSettings.model_fields}
    for name, service in services.items():
        for variable in env_names(service):
            if variable.startswith("PITWALL_") and OUR_IMAGE.match(service["image"]):
                assert variable in settings or variable in code, f"{name}: {variable}"


def test_the_worker_sets_every_env_override_of_the_kedro_conf(services: dict[str, Any]) -> None:
    conf = "\n".join(p.read_text() for p in (REPO_ROOT / "conf" / "base").rglob("*.yml"))
    overrides = set(re.findall(r"\$\{oc\.env:(PITWALL_[A-Z0-9_]+)", conf))
    assert overrides, "conf/base reads no env var?"
    assert overrides <= env_names(services["airflow-worker"])


def test_the_lake_is_on_the_s3_store_for_every_reader_and_writer(
    services: dict[str, Any],
) -> None:
    assert services["s3"]["image"].startswith("chrislusf/seaweedfs:")  # MinIO CE is archived
    for name in ("api", "dashboards", "airflow-worker"):
        env = services[name]["environment"]
        assert env["PITWALL_LAKE_URI"].startswith("s3://"), name
        assert env["AWS_ENDPOINT_URL"] == "http://s3:8333", name
        assert env["AWS_CONDITIONAL_PUT"] == "etag", name
        assert "PITWALL_PG_DSN" not in env or name == "airflow-worker", name


@pytest.mark.slow
def test_airflow_commands_exist_in_the_pinned_airflow(
    services: dict[str, Any], tmp_path: Path
) -> None:
    airflow = ensure_airflow_venv() / "bin" / "airflow"
    commands = {tuple(s["command"]) for n, s in services.items() if n.startswith("airflow-")}
    assert ("airflow", "celery", "worker") in commands
    assert ("airflow", "dag-processor") in commands
    for command in sorted(commands):
        words = [w for w in command[1:] if not w.startswith("-") and not w.isdigit()]
        result = subprocess.run(
            [str(airflow), *words, "--help"],
            capture_output=True,
            text=True,
            timeout=120,
            env={"AIRFLOW_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, f"{command}: {result.stderr[-2000:]}"
