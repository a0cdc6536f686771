"""Time travel through ``pitwall sql --as-of``: a version, a timestamp, and clear errors for a
version that was vacuumed away, that does not exist yet, or a table not created yet."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import boto3
import polars as pl
import pytest
from deltalake import DeltaTable
from typer.testing import CliRunner

from pitwall.cli import app
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.lake.maintenance import MaintenancePolicy, maintain_lake, plan_maintenance
from pitwall.lake.maintenance import read_lake_status as read_status
from pitwall.lake.timetravel import parse_as_of
from tests.s3server import moto_env, run_moto_server

NO_FLOOR = MaintenancePolicy(retention_hours=0, min_retention_hours=0, log_retention_days=1)
COUNT = "SELECT count(*) AS n, max(id) AS top FROM clean.cars"


def three_versions(lake: Lake) -> str:
    """clean.cars: version 0 holds ids 1-2, version 1 adds 3, version 2 adds 4."""
    uri = lake.table_uri("clean", "cars")
    write_table(pl.DataFrame({"id": [1, 2]}), uri)
    write_table(pl.DataFrame({"id": [3]}), uri)
    write_table(pl.DataFrame({"id": [4]}), uri)
    return uri


def commit_time(uri: str, version: int) -> datetime:
    [entry] = [h for h in DeltaTable(uri).history() if h["version"] == version]
    return datetime.fromtimestamp(entry["timestamp"] / 1000, UTC)


def sql(lake: Lake, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["sql", "--lake", lake.root, "-f", "csv", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return get_lake(str(tmp_path / "lake"))


def test_as_of_a_version_or_a_time(lake: Lake) -> None:
    uri = three_versions(lake)
    assert sql(lake, COUNT)[:2] == (0, "n,top\n4,4\n")
    assert sql(lake, "--as-of", "0", COUNT)[:2] == (0, "n,top\n2,2\n")
    assert sql(lake, "--as-of", "1", COUNT)[:2] == (0, "n,top\n3,3\n")
    # a timestamp reads the last version committed at or before it
    at_v1 = commit_time(uri, 1)
    expected = max(
        h["version"]
        for h in DeltaTable(uri).history()
        if h["timestamp"] <= at_v1.timestamp() * 1000
    )
    code, out, _ = sql(lake, "--as-of", at_v1.isoformat(), COUNT)
    assert (code, out) == (0, f"n,top\n{expected + 2},{expected + 2}\n")
    assert sql(lake, "--as-of", "2999-01-01T00:00:00Z", COUNT)[:2] == (0, "n,top\n4,4\n")


def test_as_of_errors_exit_2_with_one_line(lake: Lake) -> None:
    three_versions(lake)
    code, out, err = sql(lake, "--as-of", "9", COUNT)
    assert (code, out) == (2, "")
    assert err.splitlines() == ["error: clean.cars has no version 9 (latest: 2)"]
    code, _, err = sql(lake, "--as-of", "last tuesday", COUNT)
    assert code == 2 and len(err.splitlines()) == 1 and "ISO 8601" in err
    code, _, err = sql(lake, "--as-of", "2001-01-01", COUNT)
    assert code == 2 and err.startswith("error: clean.cars did not exist at 2001-01-01")


def test_a_vacuumed_version_is_a_clear_error(lake: Lake) -> None:
    uri = three_versions(lake)
    maintain_lake(lake, plan_maintenance(read_status(lake), policy=NO_FLOOR), policy=NO_FLOOR)
    assert len(DeltaTable(uri).file_uris()) == 1
    code, out, err = sql(lake, "--as-of", "0", COUNT)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: clean.cars as of version 0 is no longer available: its data files were vacuumed"
    ]
    # the current version, and the versions written since, still read
    assert sql(lake, COUNT)[:2] == (0, "n,top\n4,4\n")
    latest = DeltaTable(uri).version()
    assert sql(lake, "--as-of", str(latest), COUNT)[:2] == (0, "n,top\n4,4\n")


def test_a_version_whose_log_was_cleaned_up_is_a_clear_error(lake: Lake) -> None:
    uri = three_versions(lake)
    policy = MaintenancePolicy(log_retention_days=7, retention_hours=168)
    maintain_lake(lake, plan_maintenance(read_status(lake), policy=policy), policy=policy)
    table = DeltaTable(uri)
    table.alter.set_table_properties({"delta.logRetentionDuration": "interval 0 hours"})
    table = DeltaTable(uri)
    table.create_checkpoint()
    table.cleanup_metadata()
    assert not (Path(uri) / "_delta_log" / f"{0:020}.json").exists()
    code, _, err = sql(lake, "--as-of", "0", COUNT)
    assert code == 2 and len(err.splitlines()) == 1
    assert "clean.cars as of version 0 is no longer available" in err


def test_a_lake_wide_time_leaves_out_tables_created_later(lake: Lake) -> None:
    uri = three_versions(lake)
    at_v2 = commit_time(uri, 2)
    time.sleep(0.002)  # commit times have millisecond resolution: the next one is later
    write_table(pl.DataFrame({"id": [1]}), lake.table_uri("clean", "later"))
    assert commit_time(lake.table_uri("clean", "later"), 0) > at_v2
    q = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'clean' ORDER BY 1"
    assert sql(lake, "--as-of", at_v2.isoformat(), q)[:2] == (0, "table_name\ncars\n")
    assert sql(lake, q)[:2] == (0, "table_name\ncars\nlater\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12),
        ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
        ("2026-03-01 10:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_parse_as_of(text: str, expected: object) -> None:
    assert parse_as_of(text) == expected


def test_time_travel_and_the_vacuumed_error_on_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_moto_server() as endpoint:
        for key, value in moto_env(endpoint).items():
            monkeypatch.setenv(key, value)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="lake")
        lake = get_lake("s3://lake/pitwall")
        uri = lake.table_uri("clean", "cars")
        for ids in ([1, 2], [3], [4]):
            write_table(pl.DataFrame({"id": ids}), uri, storage_options=lake.storage_options)
        assert sql(lake, "--as-of", "1", COUNT)[:2] == (0, "n,top\n3,3\n")
        maintain_lake(lake, plan_maintenance(read_status(lake), policy=NO_FLOOR), policy=NO_FLOOR)
        code, out, err = sql(lake, "--as-of", "1", COUNT)
        assert (code, out) == (2, "")
        assert err.splitlines() == [
            "error: clean.cars as of version 1 is no longer available: its data files were vacuumed"
        ]
        assert sql(lake, COUNT)[:2] == (0, "n,top\n4,4\n")
