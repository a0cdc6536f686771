"""Maintenance is safe while ingests run: ``ingest_csv`` runs in a subprocess while this
process maintains every table in a loop (compaction, retention properties, VACUUM at the
floor retention, checkpoints). No run fails, no batch is lost or doubled, and landing the
same inputs again after all that maintenance adds nothing (exactly-once holds)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pitwall.lake.maintenance import (
    MaintenancePolicy,
    MaintenanceReport,
    maintain_lake,
    plan_maintenance,
    read_lake_status,
)
from pitwall.lake.records import read_ingestion_log
from tests.four_sources import Platform, running_platform

ROUNDS = 3
MAX_PASSES = 30  # maintenance passes per ingest run, at most: the loop is bounded
CAR_HEADER = "car_id,brand,model,class,power_hp,weight_kg,drivetrain,year"
# the shortest retention allowed: files of a write not committed yet are younger than that
POLICY = MaintenancePolicy(retention_hours=2, min_retention_hours=2)


def maintain_everything(platform: Platform) -> list[MaintenanceReport]:
    status = read_lake_status(platform.lake, small_file_mb=POLICY.small_file_mb)
    return maintain_lake(platform.lake, plan_maintenance(status, policy=POLICY), policy=POLICY)


def ingest_while_maintaining(platform: Platform) -> tuple[int, list[MaintenanceReport]]:
    """One ``ingest_csv`` run with maintenance passes beside it; the passes made while the
    run was alive, and every report."""
    proc = platform.start("ingest_csv")
    reports: list[MaintenanceReport] = []
    overlapped = 0
    for _ in range(MAX_PASSES):
        alive = proc.poll() is None
        reports += maintain_everything(platform)
        overlapped += alive
        if not alive:
            break
    output, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, output[-6000:]
    return overlapped, reports


def raw_counts(platform: Platform) -> dict[str, int]:
    return {
        name: platform.table("raw", name).height  # type: ignore[attr-defined]
        for name in platform.tables("raw")
    }


def test_maintenance_while_csv_ingests_run_loses_and_doubles_nothing(tmp_path: Path) -> None:
    with running_platform(tmp_path) as platform:
        platform.run("ingest_csv")
        reports: list[MaintenanceReport] = []
        for round_ in range(1, ROUNDS + 1):
            rows = "\n".join(
                f"R{round_}C{i},Brand{i},Model {i},GT3,{500 + i},{1200 + i},RWD,2024"
                for i in range(5)
            )
            platform.add_csv_file("cars", f"round{round_}.csv", f"{CAR_HEADER}\n{rows}\n")
            overlapped, done = ingest_while_maintaining(platform)
            assert overlapped >= 1, "no maintenance pass ran while the ingest was running"
            reports += done
        assert sum(r.files_compacted for r in reports) > 0  # real work happened beside them

        before = raw_counts(platform)
        platform.run("ingest_csv")  # the same inputs again, after all that maintenance
        reports += maintain_everything(platform)
        assert raw_counts(platform) == before

        log = read_ingestion_log(lake=platform.lake)
        assert log["batch_id"].is_unique().all()
        assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
        for name in platform.tables("raw"):
            if name == "ingestion_log":
                continue
            raw: pl.DataFrame = platform.table("raw", name)  # type: ignore[assignment]
            seqs = raw.group_by("_batch_id").agg(pl.col("_batch_seq").n_unique().alias("n"))
            assert (seqs["n"] == 1).all(), f"raw.{name}: a batch landed twice"
            assert raw.select("_batch_id", "_source_row").is_unique().all(), f"raw.{name}"
            assert set(raw["_batch_id"]) <= set(log["batch_id"]), f"raw.{name}: unlogged batch"
        cars: pl.DataFrame = platform.table("raw", "csv_cars")  # type: ignore[assignment]
        new = cars.filter(pl.col("car_id").str.starts_with("R"))
        assert new.height == 5 * ROUNDS and new["car_id"].is_unique().all()
        clean: pl.DataFrame = platform.table("clean", "cars")  # type: ignore[assignment]
        assert clean["car_id"].is_unique().all()
        assert set(new["car_id"]) <= set(clean["car_id"])
