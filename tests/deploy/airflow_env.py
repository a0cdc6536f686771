"""A separate environment with Apache Airflow, built once from deploy/airflow/requirements.txt.

Airflow is not part of the project's lockfile (its pins would constrain ours): the images and
these tests install it on its own, from the same pinned, hashed requirements. The environment
lives under ``~/.cache/pitwall`` (``PITWALL_CACHE_DIR`` overrides), keyed by the requirements'
hash, so a new pin builds a new one; a file lock serialises concurrent builders.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO_ROOT

REQUIREMENTS = REPO_ROOT / "deploy" / "airflow" / "requirements.txt"
PYTHON_VERSION = "3.11"  # requirements.txt is compiled for it (uv pip compile --python-version)
_COMPLETE = ".pitwall-complete"


def airflow_venv_dir() -> Path:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("PITWALL_CACHE_DIR") or Path.home() / ".cache" / "pitwall")
    return cache / f"airflow-venv-{digest}"


def _uv() -> str:
    """uv as make finds it: ``$UV``, on PATH, or where ``make uv`` installs it."""
    installed = Path.home() / ".local" / "bin" / "uv"
    found = os.environ.get("UV") or shutil.which("uv") or (installed.is_file() and str(installed))
    if not found:
        raise RuntimeError("uv is needed to build the Airflow environment (make uv installs it)")
    return found


def ensure_airflow_venv() -> Path:
    """The environment's root, created (``uv venv`` + ``uv pip install``) when missing."""
    venv = airflow_venv_dir()
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / _COMPLETE).is_file():
            shutil.rmtree(venv, ignore_errors=True)
            uv = _uv()
            subprocess.run(
                [uv, "venv", "--quiet", "--python", PYTHON_VERSION, str(venv)],
                check=True,
                timeout=300,
            )
            install = ["pip", "install", "--quiet", "--python", str(venv / "bin" / "python")]
            subprocess.run(
                [uv, *install, "--require-hashes", "-r", str(REQUIREMENTS)],
                check=True,
                timeout=900,
            )
            (venv / _COMPLETE).write_text(REQUIREMENTS.read_text())
    return venv
