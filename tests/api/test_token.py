"""The README's token recipe works (issue 16, finding 4).

``TOKEN=$(uv run pitwall token)`` then the README's curl, in a real shell, against the sandbox
OIDC issuer and the read API served on free loopback ports, with the client settings where
``make demo`` writes them (``conf/local/oidc-client.env``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.lake.layout import Lake
from pitwall.oidc_client import parse_duration, read_oidc_client, write_oidc_client
from sandbox.oidc import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, serve_oidc

REPO = Path(__file__).resolve().parents[2]
RECIPE = (
    'TOKEN=$(uv run pitwall token) && curl -s -o /dev/null -w "%{http_code}" '
    '-H "Authorization: Bearer $TOKEN" "$API/tables"'
)


def _uv() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not Path(found).is_file():
        pytest.skip("uv is not installed (make installs it)")
    return found


@pytest.fixture(scope="module")
def demo_issuer() -> Iterator[str]:
    with serve_oidc() as url:  # the demo's issuer: demo clients, fresh keys, a free port
        yield url


@pytest.fixture(scope="module")
def served_api(demo_issuer: str, api_lake: Lake, api_home: Path) -> Iterator[str]:
    settings = ApiSettings(
        oidc_issuer=demo_issuer, lake_uri=api_lake.root, home=api_home, catalog_refresh_s=0
    )
    with serve_api(settings=settings) as url:
        yield url


@pytest.fixture
def home(tmp_path: Path, demo_issuer: str) -> Path:
    """A project home where the demo wrote its OIDC client."""
    path = write_oidc_client(
        tmp_path, issuer=demo_issuer, client_id=DEMO_CLIENT_ID, client_secret=DEMO_CLIENT_SECRET
    )
    assert path.stat().st_mode & 0o777 == 0o600
    return tmp_path


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "OIDC" not in k}
    path = f"{Path(_uv()).parent}{os.pathsep}{env.get('PATH', '')}"
    return env | {"PITWALL_HOME": str(home), "UV_NO_SYNC": "1", "PATH": path} | extra


def test_token_then_the_readme_curl_returns_200(home: Path, served_api: str) -> None:
    done = subprocess.run(
        ["bash", "-c", RECIPE],
        env=_env(home, API=served_api),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "200"), done.stderr


def test_stdout_holds_the_token_only_and_stderr_its_lifetime(home: Path) -> None:
    pitwall = Path(sys.executable).parent / "pitwall"
    for args, lifetime in (([], 300), (["--ttl", "8h"], 8 * 3600), (["--ttl", "30d"], 86400)):
        done = subprocess.run(
            [str(pitwall), "--verbose", "token", *args],  # --verbose: debug logs must not leak
            env=_env(home),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert len(lines) == 1
        claims = jwt.decode(lines[0], options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == lifetime
        assert claims["realm_access"]["roles"] == ["reader"]
        assert "valid" in done.stderr and "UTC" in done.stderr
    assert "the issuer granted 86400s, not the 2592000s asked for" in done.stderr


def test_no_secret_configured_is_a_clear_error(tmp_path: Path) -> None:
    pitwall = Path(sys.executable).parent / "pitwall"
    done = subprocess.run(
        [str(pitwall), "token"], env=_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "PITWALL_OIDC_CLIENT_SECRET" in done.stderr


def test_environment_wins_over_the_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITWALL_API_OIDC_ISSUER", "https://auth.example.com/realms/pitwall")
    monkeypatch.setenv("PITWALL_OIDC_CLIENT_ID", "ops")
    settings = read_oidc_client(home)
    assert settings.issuer == "https://auth.example.com/realms/pitwall"
    assert settings.client_id == "ops"
    assert settings.client_secret is not None
    assert settings.client_secret.get_secret_value() == DEMO_CLIENT_SECRET
    assert DEMO_CLIENT_SECRET not in repr(settings)


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("30m", 1800), ("8h", 28800), ("1d", 86400)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5m", "8 hours", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
