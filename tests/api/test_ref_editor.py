"""The reference data editor (``notebooks/ref_editor.py``) against the API on loopback: it
lists the identities nobody claims, attaches one to a person and saves sector lines, all with
the user's token (refused changes show the API's reason)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from pitwall.dashboards.ref_editor import RefApiClient, RefApiError
from pitwall.settings import get_settings
from tests.api.ref_server import RefApi, ref_api
from tests.notebooks.conftest import NOTEBOOKS, REPO, load_app
from tests.queries import season_lake

__all__ = ["ref_api"]


@pytest.fixture(scope="module")
def editor_env(ref_api: RefApi) -> Iterator[dict[str, str]]:
    """The API's lake holds the season lake's drivers; the app's environment points at both."""
    season_lake.write_season_lake(ref_api.lake)
    token = ref_api.mint(["editor"], preferred_username="editor-app")
    env = {
        "PITWALL_LAKE_URI": ref_api.lake.root,
        "PITWALL_API_URL": ref_api.url,
        "PITWALL_API_TOKEN": token,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        get_settings.cache_clear()
        yield env
    get_settings.cache_clear()


def _unmatched() -> set[tuple[str, str]]:
    _, definitions = load_app("ref_editor").app.run()
    return set(definitions["unmatched"].select("kind", "value").rows())


def test_the_editor_attaches_identities_and_saves_lines(
    ref_api: RefApi, editor_env: dict[str, str]
) -> None:
    before = _unmatched()
    assert {("ac_guid", "g-b"), ("ingame_name", "Bob"), ("ingame_name", "Cleo")} <= before
    client = RefApiClient(ref_api.url, editor_env["PITWALL_API_TOKEN"])
    client.attach_identity(kind="ingame_name", value="Cleo", person_id="bob", name="Bob B.")
    client.attach_identity(kind="ac_guid", value="g-b", person_id="bob")
    assert before - _unmatched() == {("ingame_name", "Cleo"), ("ac_guid", "g-b")}
    moved = client.attach_identity(kind="ac_guid", value="g-b", person_id="robert", name="R")
    assert (moved["person_id"], moved["version"]) == ("robert", 2)  # changed with its ETag
    with pytest.raises(RefApiError) as refused:
        client.attach_identity(kind="ingame_name", value="Alice", person_id="Not A Slug")
    assert refused.value.status == 422
    saved = client.set_sector_lines(track="testring", layout="", lines_m=[250], length_m=1000)
    again = client.set_sector_lines(track="testring", layout="", lines_m=[250, 500], length_m=1000)
    assert (saved["version"], again["version"], again["lines_m"]) == (1, 2, [250, 500])
    with pytest.raises(RefApiError) as outside:
        client.set_sector_lines(track="testring", layout="", lines_m=[1200], length_m=1000)
    assert outside.value.status == 422 and "within the lap" in outside.value.detail
    with ref_api.client("reader") as http:
        history = http.get("/ref/identities/ac_guid:g-b/history").json()
    assert {c["username"] for c in history} == {"editor-app"}
    reader = RefApiClient(ref_api.url, ref_api.mint(["reader"]))
    with pytest.raises(RefApiError) as forbidden:
        reader.set_sector_lines(track="x", layout="", lines_m=[1], length_m=2)
    assert forbidden.value.status == 403


def test_the_editor_passes_marimo_check_and_runs_headless(editor_env: dict[str, str]) -> None:
    app = str(NOTEBOOKS / "ref_editor.py")
    check = [sys.executable, "-m", "marimo", "check", "--strict", app]
    for command, env in (
        (check, {}),
        ([sys.executable, app], editor_env),
        ([sys.executable, app], {**editor_env, "PITWALL_API_TOKEN": ""}),  # says so, no crash
    ):
        done = subprocess.run(
            command,
            cwd=REPO,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr[-4000:]
        assert "Traceback" not in done.stderr


def test_without_a_token_the_editor_says_so(
    editor_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PITWALL_API_TOKEN", "")
    _, definitions = load_app("ref_editor").app.run()
    assert "No token" in definitions["problem"]
    monkeypatch.setenv("PITWALL_API_TOKEN", "not-a-jwt")
    _, definitions = load_app("ref_editor").app.run()
    assert "401" in definitions["problem"]
