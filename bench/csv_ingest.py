"""Benchmark: the full ingest_csv path (RAW and CLEAN) on 5,000,000 rows x 15 columns, against
DuckDB's ``COPY (SELECT * FROM read_csv(...)) TO 'x.parquet'`` measured in the same run.

Each measurement runs in its own subprocess so that peak RSS is the ingest's alone.
Usage: ``uv run python bench/csv_ingest.py [--rows N]``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = {
    "lap_id": "int",
    "recorded_at": "datetime",
    "driver_id": "int",
    "driver_name": "string",
    "car_model": "string",
    "track": "string",
    "lap_number": "int",
    "lap_time_s": "float",
    "sector1_s": "float",
    "sector2_s": "float",
    "sector3_s": "float",
    "top_speed_kmh": "float",
    "cuts": "int",
    "valid": "bool",
    "note": "string",
}


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ``ru_maxrss``: Linux carries that across
    ``execve``, so a child started by a large parent would report the parent's peak."""
    found = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    assert found, "no VmHWM in /proc/self/status (Linux only)"
    return int(found.group(1)) / 1024


def generate(path: Path, rows: int) -> None:
    import duckdb

    duckdb.sql(
        f"""
        COPY (
          SELECT i AS lap_id,
            strftime(TIMESTAMP '2026-01-01' + to_milliseconds(i * 37), '%Y-%m-%dT%H:%M:%S.%gZ')
              AS recorded_at,
            (i % 400)::INT AS driver_id, 'driver_' || (i % 400) AS driver_name,
            'car_' || (i % 57) AS car_model, 'track_' || (i % 23) AS track,
            (i % 60)::INT AS lap_number, round(60 + random() * 40, 3) AS lap_time_s,
            round(random() * 30, 3) AS sector1_s, round(random() * 30, 3) AS sector2_s,
            CASE WHEN i % 17 = 0 THEN NULL ELSE round(random() * 30, 3) END AS sector3_s,
            round(150 + random() * 180, 2) AS top_speed_kmh,
            CASE WHEN i % 11 = 0 THEN NULL ELSE (random() * 4)::INT END AS cuts,
            (random() > 0.5) AS valid,
            CASE WHEN i % 7 = 0 THEN NULL ELSE 'note ' || i END AS note
          FROM range({rows}) t(i)
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )


def run_baseline(csv: Path, out: Path) -> dict[str, float]:
    import duckdb

    start = time.perf_counter()
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' (FORMAT parquet)")
    return {"seconds": time.perf_counter() - start}


def run_ingest(csv: Path, lake: Path) -> dict[str, float]:
    """The feed's two Kedro nodes, as ``kedro run --pipeline ingest_csv`` runs them: RAW
    landing, then the CLEAN build (typing, quarantine split, merge, ingestion log)."""
    os.environ["PITWALL_LAKE_URI"] = str(lake)
    from pipelines.ingest_csv.standalone import run_feeds
    from pitwall.lake.layout import get_lake

    lake_ = get_lake()
    spec = {"location": str(csv), "columns": COLUMNS, "key": ["lap_id"], "clean_table": "laps"}
    feeds = {"laps": spec}
    start = time.perf_counter()
    run_feeds(feeds, lake=lake_, stage=["land_raw"])
    raw_done = time.perf_counter()
    raw_rss = peak_rss_mb()
    run_feeds(feeds, lake=lake_, stage=["build_clean"])
    clean_done = time.perf_counter()
    return {
        "raw_seconds": raw_done - start,
        "clean_seconds": clean_done - raw_done,
        "raw_peak_rss_mb": raw_rss,
    }


def _child(kind: str, csv: Path, target: Path) -> dict[str, float]:
    # Each run starts with no dirty pages of an earlier run: otherwise the kernel flushes the
    # previous run's output (the RAW lake is ~900 MB of strings) during the next measurement.
    os.sync()
    cmd = [sys.executable, __file__, "--child", kind, str(csv), str(target)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; best kept")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "CSV", "TARGET"))
    args = parser.parse_args()
    if args.child:
        kind, csv, target = args.child
        result = (
            run_baseline(Path(csv), Path(target))
            if kind == "baseline"
            else run_ingest(Path(csv), Path(target))
        )
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    bases, ours = [], []
    with tempfile.TemporaryDirectory(prefix="pitwall-bench-") as tmp:
        csv = Path(tmp) / "laps.csv"
        print(f"generating {args.rows:,} rows x {len(COLUMNS)} columns ...", flush=True)
        generate(csv, args.rows)
        print(f"  {csv.stat().st_size / 1e6:,.0f} MB", flush=True)
        # The machine is shared and noisy: rounds alternate baseline and ingest, best of each.
        for n in range(1, args.rounds + 1):
            bases.append(_child("baseline", csv, Path(tmp) / f"x{n}.parquet"))
            ours.append(_child("ingest", csv, Path(tmp) / f"lake{n}"))
            shutil.rmtree(Path(tmp) / f"lake{n}")
            (Path(tmp) / f"x{n}.parquet").unlink()
            base, run = bases[-1], ours[-1]
            print(
                f"round {n}: baseline {base['seconds']:.2f} s, RAW {run['raw_seconds']:.2f} s,"
                f" CLEAN {run['clean_seconds']:.2f} s",
                flush=True,
            )
    report(args.rows, bases=bases, ours=ours)


def report(rows: int, *, bases: list[dict[str, float]], ours: list[dict[str, float]]) -> None:
    base = min(b["seconds"] for b in bases)
    raw = min(o["raw_seconds"] for o in ours)
    clean = min(o["clean_seconds"] for o in ours)
    total = min(o["raw_seconds"] + o["clean_seconds"] for o in ours)
    raw_rss = max(o["raw_peak_rss_mb"] for o in ours)
    rss = max(o["peak_rss_mb"] for o in ours)
    print()
    print(f"best of {len(ours)} rounds")
    print(f"{'measure':<34}{'seconds':>10}{'rows/s':>14}")
    print(f"{'baseline DuckDB COPY':<34}{base:>10.2f}{rows / base:>14,.0f}")
    print(f"{'pitwall RAW landing':<34}{raw:>10.2f}{rows / raw:>14,.0f}")
    print(f"{'pitwall CLEAN (type+dedup+write)':<34}{clean:>10.2f}{rows / clean:>14,.0f}")
    print(f"{'pitwall RAW + CLEAN':<34}{total:>10.2f}{rows / total:>14,.0f}")
    print()
    print(f"RAW landing ratio vs baseline: {base / raw:.2f}x (target >= 0.70x)")
    print(f"full path ratio vs baseline:   {base / total:.2f}x")
    print(
        f"peak RSS of the ingest (worst round): RAW {raw_rss:,.0f} MB, RAW+CLEAN {rss:,.0f} MB"
        " (target <= 1024 MB)"
    )


if __name__ == "__main__":
    main()
