"""The Makefile's own promises: help lists every target, clean keeps committed files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .conftest import REPO_ROOT

MAKEFILE = REPO_ROOT / "Makefile"


def _make(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(MAKEFILE), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_help_lists_every_target_within_80_columns(tmp_path: Path) -> None:
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE.read_text(), re.M)
    assert phony is not None
    done = _make("help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    listed = {line.split()[1] for line in done.stdout.splitlines() if line.startswith("make ")}
    assert listed == set(phony.group(1).split())
    assert all(len(line) <= 80 for line in done.stdout.splitlines())


def test_clean_deletes_what_runs_wrote_and_keeps_committed_files(tmp_path: Path) -> None:
    kept = [
        "data/lake/raw/.gitkeep",
        "data/lake/clean/.gitkeep",
        "data/lake/quarantine/.gitkeep",
        "data/landing/.gitkeep",
        "data/samples/csv/cars/cars.csv",
        "conf/local/credentials.yml",
    ]
    written = [
        "data/lake/raw/csv_cars/_delta_log/00000000000000000000.json",
        "data/lake/clean/cars/part-0.parquet",
        "data/lake/quarantine/csv_cars/part-0.parquet",
        "data/landing/csv/cars/cars.csv",
        "data/landing/assetto/game/x.parquet",
        "data/pg/PG_VERSION",
        "data/run/kedro-run.log",
        "data/viz/index.html",
        "build/index.html",
    ]
    for name in kept + written:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    done = _make("clean", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [n for n in kept if not (tmp_path / n).exists()] == []
    assert [n for n in written if (tmp_path / n).exists()] == []
    assert (tmp_path / "data/lake/raw").is_dir() and (tmp_path / "data/landing").is_dir()
