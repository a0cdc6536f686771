"""Table maintenance: compaction, retention properties, VACUUM, checkpoints, the status, the
``pitwall lake`` commands and the ``maintain_lake`` pipeline; exactly-once state survives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from deltalake import DeltaTable, Transaction
from pydantic import ValidationError
from typer.testing import CliRunner

from pitwall.cli import app
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.lake.maintenance import (
    FILE_RETENTION,
    LOG_RETENTION,
    MaintenancePolicy,
    maintain_lake,
    plan_maintenance,
    read_lake_status,
)

REPO = Path(__file__).resolve().parents[2]
NO_FLOOR = MaintenancePolicy(retention_hours=0, min_retention_hours=0, log_retention_days=1)


def land_small_batches(lake: Lake, *, layer: str = "raw", name: str = "events", n: int = 6) -> str:
    """``n`` one-row commits, each with its own txn version (like RAW batches)."""
    uri = lake.table_uri(layer, name)  # type: ignore[arg-type]
    for i in range(1, n + 1):
        frame = pl.DataFrame({"id": [i], "_batch_id": [f"b{i}"], "_batch_seq": [i]})
        write_table(frame, uri, transactions=[Transaction("pitwall.raw", i)])
    return uri


def test_maintenance_compacts_sets_retention_vacuums_and_keeps_txn_state(tmp_path: Path) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    uri = land_small_batches(lake)
    before = DeltaTable(uri)
    assert len(before.file_uris()) == 6

    plan = plan_maintenance(read_lake_status(lake), policy=NO_FLOOR)
    assert plan.rows(named=True) == [
        {"layer": "raw", "table": "events", "compact": True, "zorder": []}
    ]
    [report] = maintain_lake(lake, plan, policy=NO_FLOOR)

    after = DeltaTable(uri)
    assert (report.files_before, report.files_after, len(after.file_uris())) == (6, 1, 1)
    assert report.files_compacted == 6 and report.files_vacuumed == 6
    assert after.metadata().configuration[LOG_RETENTION] == "interval 1 days"
    assert after.metadata().configuration[FILE_RETENTION] == "interval 0 hours"
    assert after.transaction_version("pitwall.raw") == 6  # the exactly-once state
    rows = pl.read_delta(uri).sort("id")
    assert rows["id"].to_list() == list(range(1, 7))
    assert rows["_batch_id"].to_list() == [f"b{i}" for i in range(1, 7)]
    assert len(list(Path(uri).glob("*.parquet"))) == 1  # the small files are gone from disk
    assert list((Path(uri) / "_delta_log").glob("*.checkpoint.parquet"))

    # a second run has nothing to do and commits nothing
    [again] = maintain_lake(
        lake, plan_maintenance(read_lake_status(lake), policy=NO_FLOOR), policy=NO_FLOOR
    )
    assert again.version_before == again.version_after == after.version()
    assert (again.files_compacted, again.files_vacuumed, again.properties_set) == (0, 0, False)


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    uri = land_small_batches(lake, n=3)
    version = DeltaTable(uri).version()
    [report] = maintain_lake(
        lake,
        plan_maintenance(read_lake_status(lake), policy=NO_FLOOR),
        policy=NO_FLOOR,
        dry_run=True,
    )
    assert report.dry_run and report.properties_set and report.files_compacted == 3
    assert DeltaTable(uri).version() == version
    assert len(list(Path(uri).glob("*.parquet"))) == 3


def test_retention_never_goes_below_the_floor() -> None:
    with pytest.raises(ValidationError, match="below the 2 h"):
        MaintenancePolicy(retention_hours=1)
    with pytest.raises(ValidationError, match="log retention"):
        MaintenancePolicy(retention_hours=48, log_retention_days=1)
    assert MaintenancePolicy().properties() == {
        LOG_RETENTION: "interval 30 days",
        FILE_RETENTION: "interval 168 hours",
    }


def test_plan_selects_tables_and_zorder_columns(tmp_path: Path) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    land_small_batches(lake, n=1)
    land_small_batches(lake, layer="clean", name="telemetry", n=3)
    policy = MaintenancePolicy(tables=["clean.telemetry"], zorder={"clean.telemetry": ["id"]})
    plan = plan_maintenance(read_lake_status(lake), policy=policy)
    assert plan.rows() == [("clean", "telemetry", True, ["id"])]
    [report] = maintain_lake(lake, plan, policy=policy)
    assert report.files_compacted == 3 and report.files_after == 1
    assert report.files_vacuumed == 0  # 168 h: the replaced files stay for time travel
    assert DeltaTable(lake.table_uri("raw", "events")).version() == 0  # not selected


def test_lake_status_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    land_small_batches(lake, n=4)
    write_table(pl.DataFrame({"id": [1]}), lake.table_uri("clean", "cars"))
    runner = CliRunner()
    fresh = runner.invoke(app, ["lake", "status", "--lake", lake.root, "-f", "json"])
    assert fresh.exit_code == 0, fresh.output
    by_table = {(r["layer"], r["table"]): r for r in json.loads(fresh.stdout)}
    events = by_table["raw", "events"]
    assert (events["version"], events["files"], events["small_files"]) == (3, 4, 4)
    assert events["history_length"] == 4 and events["last_maintenance"] is None
    assert events["size_bytes"] == sum(
        p.stat().st_size for p in Path(events_uri(lake)).glob("*.parquet")
    )
    assert by_table["clean", "cars"]["files"] == 1

    maintained = runner.invoke(
        app, ["lake", "maintain", "--lake", lake.root, "--tables", "raw.events", "-f", "json"]
    )
    assert maintained.exit_code == 0, maintained.output
    [report] = json.loads(maintained.stdout)
    assert (report["table"], report["files_after"]) == ("events", 1)

    after = runner.invoke(app, ["lake", "status", "--lake", lake.root, "-f", "json"])
    by_table = {(r["layer"], r["table"]): r for r in json.loads(after.stdout)}
    events = by_table["raw", "events"]
    assert (events["files"], events["small_files"]) == (1, 1)
    assert events["last_maintenance"] is not None
    assert events["history_length"] == report["version_after"] + 1
    assert by_table["clean", "cars"]["last_maintenance"] is None  # not in --tables

    table = runner.invoke(app, ["lake", "status", "--lake", lake.root])
    assert table.exit_code == 0 and "events" in table.stdout and "size_mb" in table.stdout


def test_maintain_json_stays_parseable_after_kedro_logging(tmp_path: Path) -> None:
    """A stdout log handler installed earlier in the process (Kedro's rich logging, as in an
    Airflow worker or a test session) must not leak log lines into ``-f json``."""
    import logging

    from rich.console import Console
    from rich.logging import RichHandler

    lake = get_lake(str(tmp_path / "lake"))
    land_small_batches(lake, n=2)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.addHandler(RichHandler(console=Console()))  # stdout, like Kedro's default logging
    root.setLevel(logging.INFO)
    try:
        result = CliRunner().invoke(
            app, ["lake", "maintain", "--lake", lake.root, "--tables", "raw.events", "-f", "json"]
        )
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert report["files_after"] == 1


def events_uri(lake: Lake) -> str:
    return lake.table_uri("raw", "events")


def test_maintain_refuses_a_retention_below_the_floor(tmp_path: Path) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    uri = land_small_batches(lake, n=2)
    result = CliRunner().invoke(
        app, ["lake", "maintain", "--lake", lake.root, "--retention-hours", "1"]
    )
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: retention of 1 h is below the 2 h that running writers and readers need"
    ]
    assert DeltaTable(uri).version() == 1


def test_the_maintain_lake_pipeline_maintains_every_table(tmp_path: Path) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    raw = land_small_batches(lake, n=3)
    clean = land_small_batches(lake, layer="clean", name="laps", n=2)
    done = subprocess.run(
        [str(Path(sys.executable).with_name("kedro")), "run", "--pipelines", "maintain_lake"],
        cwd=REPO,
        env={**os.environ, "PITWALL_LAKE_URI": lake.root},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    for uri in (raw, clean):
        table = DeltaTable(uri)
        assert len(table.file_uris()) == 1
        assert table.metadata().configuration[FILE_RETENTION] == "interval 168 hours"
        assert table.transaction_version("pitwall.raw") in {2, 3}
