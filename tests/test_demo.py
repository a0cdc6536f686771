"""End to end: ``python -m sandbox.demo`` in a scratch project home (real PostgreSQL, real
sandbox services, real UDP telemetry, real ``kedro run``): the job, its summary, the commands
it prints, and a clean stop on Ctrl-C and SIGTERM."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import psutil
import pytest

from pitwall.lake.layout import get_lake
from pitwall.sql import connect

from .conftest import REPO_ROOT

STOP_WITHIN_S = 10.0  # the bound for Ctrl-C / SIGTERM


@dataclass(frozen=True)
class DemoHome:
    home: Path
    env: dict[str, str]
    stdout: str
    stderr: str


def _scratch_home(root: Path) -> Path:
    home = root / "home"
    home.mkdir()
    shutil.copytree(REPO_ROOT / "conf" / "base", home / "conf" / "base")
    (home / "conf" / "local").mkdir()
    shutil.copytree(REPO_ROOT / "data" / "samples", home / "data" / "samples")
    shutil.copy(REPO_ROOT / "pyproject.toml", home / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(REPO_ROOT / "src", home / "src", ignore=ignore)  # kedro wants it there
    shutil.copytree(REPO_ROOT / "notebooks", home / "notebooks", ignore=ignore)
    shutil.copy(REPO_ROOT / ".telemetry", home / ".telemetry")
    return home


def _demo_env(home: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PITWALL_HOME": str(home),
        "PITWALL_LAKE_URI": str(home / "data" / "lake"),
        "PITWALL_DEMO_PORT_OFFSET": str(20000 + os.getpid() % 5000),
        "COLUMNS": "80",
        # no uv on PATH: the demo must print commands that work without it
        "PATH": os.pathsep.join(
            p for p in os.environ.get("PATH", "").split(os.pathsep) if not (Path(p) / "uv").exists()
        ),
    }
    env.pop("UV", None)
    env.pop("PITWALL_PG_DSN", None)  # the demo's default: embedded PostgreSQL
    return env


@pytest.fixture(scope="module")
def demo_home() -> Iterator[DemoHome]:
    """One run of the demo job (``make demo SERVE=0``) in a scratch home.

    Not under pytest's basetemp: concurrent pytest sessions rotate those directories and
    would delete the embedded server's data under it.
    """
    root = Path(tempfile.mkdtemp(prefix="pitwall-demo-test-"))
    try:
        yield _run_job(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_job(root: Path) -> DemoHome:
    home = _scratch_home(root)
    env = _demo_env(home)
    done = subprocess.run(
        [sys.executable, "-m", "sandbox.demo", "--no-serve", "--telemetry-seconds", "12"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return DemoHome(home=home, env=env, stdout=done.stdout, stderr=done.stderr)


@pytest.mark.slow
def test_demo_job_lands_every_source_and_mirrors(demo_home: DemoHome) -> None:
    assert "Lake tables" in demo_home.stdout and "PostgreSQL mirror" in demo_home.stdout
    con = connect(get_lake(str(demo_home.home / "data" / "lake")))
    log = con.sql("SELECT * FROM raw.ingestion_log").pl()
    assert set(log.get_column("pipeline")) >= {
        "ingest_csv",
        "ingest_api",
        "ingest_scraper",
        "ingest_assetto",
    }
    reconciles = log.filter(pl.col("rows_in") != pl.col("rows_landed") + pl.col("rows_quarantined"))
    assert reconciles.is_empty(), reconciles
    for table in ("cars", "tracks", "league_lap_times", "ac_laps", "ac_telemetry"):
        assert con.execute(f"SELECT count(*) FROM clean.{table}").fetchall()[0][0] > 0, table


@pytest.mark.slow
def test_demo_shows_each_step_with_its_duration_and_fits_80_columns(
    demo_home: DemoHome,
) -> None:
    out = demo_home.stdout
    for label in (
        "PostgreSQL and the sandbox services",
        "recording a 12 s Assetto Corsa session",
        "kedro ingest_csv",
        "kedro ingest_api",
        "kedro ingest_scraper",
        "kedro ingest_assetto",
        "kedro mirror_postgres",
        "kedro run",
        "PostgreSQL mirror status",
    ):
        assert re.search(rf"✓ {re.escape(label)}.*\(\d+\.\d s\)", out), label
    recording = re.search(r"✓ recording a 12 s .*\((\d+\.\d) s\)", out)
    # The recording runs on the simulators' clock for about its label's seconds; the printed
    # time is the step's wall clock (tests/sandbox/test_demo_progress.py), not the label.
    assert recording and float(recording.group(1)) >= 6.0
    assert "…" not in out  # nothing truncated
    command_lines = [line for line in out.splitlines() if "pitwall sql" in line]
    too_wide = [line for line in out.splitlines() if len(line) > 80 and line not in command_lines]
    assert not too_wide, too_wide
    for stream in (out, demo_home.stderr):  # a clean first run: no warning of any kind
        assert "Warning" not in stream and "deprecated" not in stream.lower(), stream[-2000:]
        assert "XDG_RUNTIME_DIR" not in stream


@pytest.mark.slow
def test_demo_try_commands_work_as_printed(demo_home: DemoHome) -> None:
    lines = [line.strip() for line in demo_home.stdout.splitlines()]
    first = lines.index("# query the lake with SQL")
    command = lines[first + 1]
    assert "uv run" not in command  # uv is not on this PATH: the printed path must work
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=demo_home.home,
        env=demo_home.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "length_m" in done.stdout and "12 row(s)" in done.stdout


def _postmaster(home: Path) -> psutil.Process | None:
    pid_file = home / "data" / "pg" / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().splitlines()[0])
    return psutil.Process(pid) if psutil.pid_exists(pid) else None


def _call_the_api_as_printed(printed: list[str], demo_home: DemoHome) -> None:
    """Run the three commands the demo prints (secret, token, curl) in one shell."""
    lines = [line.strip() for line in printed]
    at = lines.index("# the sandbox client's secret (a demo value)")
    commands = [lines[at + 1], lines[at + 3], lines[at + 5]]
    assert commands[0].startswith("export ") and commands[1].startswith("TOKEN=$(")
    assert commands[2].startswith("curl ")
    done = subprocess.run(
        ["bash", "-c", " && ".join([*commands[:2], commands[2] + " --fail --silent"])],
        cwd=demo_home.home,
        env=demo_home.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert {"layer": "clean", "name": "tracks"}.items() <= next(
        t for t in json.loads(done.stdout) if t["name"] == "tracks"
    ).items()


Serving = tuple[subprocess.Popen[str], list[psutil.Process]]


@pytest.fixture
def serving_demo(demo_home: DemoHome) -> Iterator[Serving]:
    """The demo serving (job re-run on the same home, then the API, marimo, kedro-viz), with
    every process it started: its descendants and the embedded PostgreSQL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.demo", "--serve", "--telemetry-seconds", "4"],
        cwd=demo_home.home,
        env=demo_home.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as in a terminal
    )
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 600
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                pytest.fail("the demo exited before serving:\n" + "".join(seen[-60:]))
            seen.append(line)
            if "curl -H" in line:  # the last line the demo prints before it waits
                break
        assert any("Pitwall is serving" in line for line in seen), "".join(seen[-60:])
        _call_the_api_as_printed(seen, demo_home)
        started = psutil.Process(proc.pid).children(recursive=True)
        postmaster = _postmaster(demo_home.home)
        assert postmaster is not None, "no embedded PostgreSQL while serving"
        assert any("marimo" in " ".join(p.cmdline()) for p in started)
        yield proc, [*started, postmaster]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("how", "exit_code"),
    [("ctrl-c", 130), ("sigterm", 128 + signal.SIGTERM)],
)
def test_demo_stops_every_process_it_started(
    serving_demo: Serving, how: str, exit_code: int
) -> None:
    proc, started = serving_demo
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # a terminal sends SIGINT to the foreground group
    else:
        os.kill(proc.pid, signal.SIGTERM)  # kill, systemd, docker stop: the process alone
    signalled = time.monotonic()
    assert proc.wait(timeout=STOP_WITHIN_S) == exit_code
    remaining = max(0.1, STOP_WITHIN_S - (time.monotonic() - signalled))
    _gone, alive = psutil.wait_procs(started, timeout=remaining)
    left = [f"{p.pid} {' '.join(p.cmdline())[:100]}" for p in alive if p.is_running()]
    assert not left, left
