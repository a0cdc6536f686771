"""The production wheel: the core library, the pipelines and the API; no sandbox, and the
demo/dev tools (pgserver, kedro-viz, playwright) only behind extras."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from .conftest import REPO_ROOT

DEMO_ONLY = {"pgserver", "kedro-viz", "psutil"}
DASHBOARDS_ONLY = {"marimo", "altair", "sqlglot"}
NEVER = {"playwright", "pytest", "moto"}


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv") or str(Path.home() / ".local/bin/uv")
    if not Path(found).exists():
        pytest.fail("uv is needed to build the wheel (make installs it)")
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [_uv(), "build", "--wheel", "--out-dir", str(out), "--package", "pitwall"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = out.glob("pitwall-*.whl")
    return zipfile.ZipFile(built)


def _requirements(wheel: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, marker) of each Requires-Dist."""
    meta_name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    meta = Parser().parsestr(wheel.read(meta_name).decode())
    out = []
    for line in meta.get_all("Requires-Dist") or []:
        name = re.split(r"[\s\[<>=!~;(]", line, maxsplit=1)[0].lower()
        marker = line.split(";", 1)[1] if ";" in line else ""
        out.append((name, marker))
    return out


def test_wheel_holds_the_core_pipelines_and_api_but_no_sandbox(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/", 1)[0] for name in wheel.namelist() if "/" in name}
    packages = {t for t in tops if not t.endswith(".dist-info")}
    assert packages == {"pitwall", "pipelines", "api"}
    assert "pitwall/cli/main.py" in wheel.namelist()
    assert not any("demo" in name.split("/")[-2:-1] for name in wheel.namelist())


def test_demo_and_dashboard_tools_only_behind_extras(wheel: zipfile.ZipFile) -> None:
    requirements = _requirements(wheel)
    runtime = {name for name, marker in requirements if "extra ==" not in marker}
    assert not runtime & (DEMO_ONLY | DASHBOARDS_ONLY | NEVER), runtime
    extras = {name: marker for name, marker in requirements if "extra ==" in marker}
    assert all("demo" in extras[name] for name in DEMO_ONLY)
    assert all("dashboards" in extras[name] for name in DASHBOARDS_ONLY)
    assert not NEVER & set(extras)
