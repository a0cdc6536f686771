"""ingest_api end to end: the conf's default sources against the sandbox on loopback.

Runs end with exactly the sandbox's records (no gaps, no duplicates) despite faults; a re-run
adds nothing; partner updates land incrementally; a run killed with SIGKILL resumes and lands
every record once.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
import stamina

from pitwall.lake.delta import read_table
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from sandbox.partner_api import Faults, SandboxCredentials, serve_partner_api

REPO_ROOT = Path(__file__).resolve().parents[2]
SIZES = {"events": 60, "entries": 700, "results": 700, "weather": 700, "standings": 150}
# conf endpoint -> (sandbox resource, RAW table, CLEAN table, key)
ENDPOINTS = {
    "partner.events": ("events", "api_partner_events", "partner_events", "event_id"),
    "partner.entries": ("entries", "api_partner_entries", "partner_entries", "entry_id"),
    "partner.results": ("results", "api_partner_results", "partner_results", "result_id"),
    "partner.standings": ("standings", "api_partner_standings", "partner_standings", "standing_id"),
    "track_weather.observations": (
        "weather",
        "api_track_weather_observations",
        "track_weather",
        "observation_id",
    ),
}
FAULTS = Faults(
    rate_limit=0.15,
    server_error=0.15,
    expire_token=0.15,
    malformed=0.15,
    slow=0.05,
    slow_seconds=0.1,
    retry_after_seconds=0.02,
    seed=11,
)


CREDS = SandboxCredentials.random()


@pytest.fixture(autouse=True)
def _real_retries() -> Iterator[None]:
    """Faulty runs need real retries: make sure stamina's testing mode is off."""
    with stamina.set_testing(False):
        yield


@pytest.fixture
def partner_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The sandbox (faulty, short-lived tokens) and the env vars the conf reads."""
    creds = CREDS
    with serve_partner_api(
        0, credentials=creds, sizes=SIZES, faults=FAULTS, token_ttl_seconds=2
    ) as url:
        monkeypatch.setenv("PITWALL_PARTNER_API_URL", url)
        for name, value in creds.as_env().items():
            monkeypatch.setenv(name, value)
        yield url


def run_ingest_api(**params: Any) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(REPO_ROOT)
    runtime = {"ingest_api": {"commit_every_records": 250, **params}}
    with KedroSession.create(project_path=REPO_ROOT, runtime_params=runtime) as session:
        session.run(pipeline_names=["ingest_api"])


def truth(url: str, resource: str) -> list[dict[str, Any]]:
    return httpx.get(f"{url}/admin/records/{resource}").json()


def table(lake: Lake, layer: str, name: str) -> pl.DataFrame:
    return read_table(lake.table_uri(layer, name), storage_options=lake.storage_options)  # type: ignore[arg-type]


def assert_lake_matches_sandbox(url: str, lake: Lake) -> None:
    for name, (resource, raw_name, clean_name, key) in ENDPOINTS.items():
        expected = truth(url, resource)
        raw = table(lake, "raw", raw_name)
        landed = raw["record"].str.json_path_match(f"$.{key}").to_list()
        # every current record version is in RAW exactly once
        assert raw["record_hash"].n_unique() == raw.height, name
        assert sorted(set(landed)) == sorted(r[key] for r in expected), name
        bad = {r[key] for r in expected if r.get("total_time_ms") == "DNF"}
        clean = table(lake, "clean", clean_name)
        assert clean[key].n_unique() == clean.height, name
        assert set(clean[key]) == {r[key] for r in expected} - bad, name
        if bad:
            quarantine = table(lake, "quarantine", raw_name)
            assert quarantine["reason"].str.contains("total_time_ms: DNF is not int").all()
            ids = quarantine["record"].str.json_path_match(f"$.{key}")
            assert set(ids) == bad
    log = read_ingestion_log(lake=lake).filter(pl.col("pipeline") == "ingest_api")
    assert log.height > 0
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
    assert set(log["status"]) <= {"ok", "partial"}


def raw_rows(lake: Lake) -> int:
    total = 0
    for _, raw_name, _, _ in ENDPOINTS.values():
        total += table(lake, "raw", raw_name).height
    return total


def test_faulty_run_lands_exactly_the_sandbox_records(
    partner_env: str,
    lake: Lake,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    run_ingest_api()
    output = capsys.readouterr()
    for secret in (CREDS.client_id, CREDS.client_secret):
        assert secret not in caplog.text + output.out + output.err
    assert_lake_matches_sandbox(partner_env, lake)
    stats = httpx.get(f"{partner_env}/admin/stats").json()
    injected = stats["faults_injected"]
    assert sum(injected.values()) >= 3 and len(injected) >= 2, injected
    assert raw_rows(lake) == sum(SIZES.values())


def test_rerun_adds_nothing_and_updates_land_incrementally(partner_env: str, lake: Lake) -> None:
    run_ingest_api()
    landed = raw_rows(lake)
    run_ingest_api()
    assert raw_rows(lake) == landed

    touched = httpx.post(f"{partner_env}/admin/touch/results", params={"count": 7}).json()
    run_ingest_api()
    assert raw_rows(lake) == landed + 7
    assert_lake_matches_sandbox(partner_env, lake)
    clean = table(lake, "clean", "partner_results").filter(
        pl.col("result_id").is_in(touched["updated"])
    )
    assert clean.height == 7 and (clean["revision"] == 2).all()


def test_killed_run_resumes_and_lands_each_record_once(partner_env: str, lake: Lake) -> None:
    # slow pages so that the kill lands mid-way; one RAW commit per page
    httpx.put(
        f"{partner_env}/admin/faults",
        json={"slow": 0.5, "slow_seconds": 0.6, "server_error": 0.1, "seed": 4},
    ).raise_for_status()
    command = [
        sys.executable,
        "-m",
        "kedro",
        "run",
        "--pipeline",
        "ingest_api",
        "--params",
        "ingest_api.commit_every_records=100",
    ]
    process = subprocess.Popen(
        command,
        cwd=REPO_ROOT,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        first_commit = lake.table_uri("raw", "api_partner_entries") + "/_delta_log"
        deadline = time.monotonic() + 120
        # version 0 creates the table empty; version 1 is the first commit with rows
        rows_commit = Path(first_commit) / "00000000000000000001.json"
        while not rows_commit.exists():
            assert process.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "no RAW commit within 120 s"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert 0 < raw_rows_present(lake) < sum(SIZES.values())

    run_ingest_api()
    assert_lake_matches_sandbox(partner_env, lake)
    assert raw_rows(lake) == sum(SIZES.values())


def raw_rows_present(lake: Lake) -> int:
    total = 0
    for _, raw_name, _, _ in ENDPOINTS.values():
        uri = lake.table_uri("raw", raw_name)
        if Path(uri, "_delta_log").is_dir():
            total += table(lake, "raw", raw_name).height
    return total
