"""Benchmark: cost follows the change, whatever the size of the lake (issue 14).

1. A small batch stays small: a 10-row CSV file (5 corrections of the latest laps, 5 new laps)
   landed (RAW + CLEAN, the feed's two Kedro nodes) into a feed whose CLEAN table holds 0, 2M
   and 20M rows. Targets: time at 20M / time at 0 <= 1.5, peak RSS <= 400 MB at every size.
2. A bulk merge stays bounded: a 2M-row file, 10% of it updates of keys spread over the whole
   table, into the 20M-row table. Targets: peak RSS <= 1 GiB, rows/s >= 0.3x DuckDB's
   ``COPY (SELECT * FROM read_csv(...)) TO parquet`` of the same file, measured in this run.
3. SQL over a large lake: a group-by over a 50M-row telemetry table through ``pitwall.sql``
   (the engine of ``pitwall sql``) against DuckDB over the same files as plain Parquet (the
   Delta table is those files, converted in place). Target: >= 0.8x.
4. Maintenance pays for itself: compacting a table of 1,000 small files, and the speed-up of
   a query on it.
5. A telemetry session stays small (``growth_telemetry``): one new session (a race's server
   capture and a rig's game capture, about 200k telemetry rows) landed by ``ingest_assetto``
   into lakes of 1, 10 and 100 sessions, maintained by the ``maintain_lake`` pipeline after
   each run that built them (ten sessions a run), as its daily Airflow DAG would. Targets:
   time at 100 / time at 1 <= 1.5, peak RSS <= 400 MB at every size. And every query behind
   the dashboards (``notebooks/``) on the 100-session lake answers in <= 1 s.

Data is generated directly (DuckDB, numpy; the capture files in the daemons' own format), no
UDP and no HTTP. Every ingest runs in its own subprocess, so its peak RSS is its own (Python,
Kedro, polars and deltalake loaded included).
Usage: ``uv run python bench/growth.py [--scale 1.0] [--parts small,bulk,sql,maintain,telemetry]``
(``--scale 0.01`` for a quick check of the script itself).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from csv_ingest import COLUMNS, generate, peak_rss_mb

PARTS = ("small", "bulk", "sql", "maintain", "telemetry")


def feeds(landing: Path) -> dict[str, dict[str, Any]]:
    spec = {"location": str(landing / "*.csv"), "columns": COLUMNS, "key": ["lap_id"]}
    return {"laps": {**spec, "clean_table": "laps"}}


def write_batch(landing: Path, *, name: str, size: int, updates: int, new: int) -> Path:
    """A CSV file of ``updates`` rows of existing keys (note changed) and ``new`` new keys.

    Small batches correct the latest laps; bulk ones (``spread``) keys from the whole table.
    """
    import duckdb

    source = landing / "base.csv"
    path = landing / f"{name}.csv"
    spread = updates > 5
    key = "lap_id::BIGINT"
    pick = f"{key} % {max(size // updates, 1)} = 7" if spread else f"{key} >= {size - updates}"
    duckdb.sql(
        f"""
        COPY (
          (SELECT * REPLACE ('corrected' AS note) FROM read_csv('{source}', all_varchar=true)
            WHERE {pick} AND lap_id::BIGINT < {size} LIMIT {updates})
          UNION ALL
          (SELECT * REPLACE ((lap_id::BIGINT + {size})::VARCHAR AS lap_id)
            FROM read_csv('{source}', all_varchar=true) LIMIT {new})
        ) TO '{path}' (HEADER)
        """
    )
    return path


def child_ingest(landing: Path, lake_root: Path) -> dict[str, float]:
    """The feed's RAW and CLEAN nodes over the files in ``landing`` (run in a child)."""
    from pipelines.ingest_csv.standalone import run_feeds
    from pitwall.lake.layout import get_lake

    lake = get_lake(str(lake_root))
    start = time.perf_counter()
    run_feeds(feeds(landing), lake=lake)
    return {"seconds": time.perf_counter() - start}


def child_copy(csv: Path, out: Path) -> dict[str, float]:
    import duckdb

    start = time.perf_counter()
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' (FORMAT parquet)")
    return {"seconds": time.perf_counter() - start}


def run_kind(kind: str, a: Path, b: Path) -> dict[str, float]:
    """A child's measurement; it imports only what it measures (no generator, no numpy)."""
    if kind in ("assetto", "maintain"):
        from growth_telemetry import child_kedro_run

        return child_kedro_run("ingest_assetto" if kind == "assetto" else "maintain_lake", a, b)
    return child_ingest(a, b) if kind == "ingest" else child_copy(a, b)


def run_child(kind: str, *args: Path) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", kind, *map(str, args)]
    out = subprocess.run(cmd, check=False, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"the {kind} child failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_small_and_bulk(tmp: Path, *, scale: float, parts: set[str]) -> list[str]:
    lines: list[str] = []
    sizes = [0, int(2_000_000 * scale), int(20_000_000 * scale)]
    small: dict[int, dict[str, float]] = {}
    for size in sizes:
        landing, lake = tmp / f"landing{size}", tmp / f"lake{size}"
        landing.mkdir()
        if size:
            print(f"  building a CLEAN table of {size:,} rows ...", flush=True)
            generate(landing / "base.csv", size)
            built = run_child("ingest", landing, lake)
            print(f"    {built['seconds']:.1f} s, peak {built['peak_rss_mb']:,.0f} MB", flush=True)
        else:  # into an empty lake the batch is 10 new rows
            generate(landing / "base.csv", 10)
        if "small" in parts:
            if size:
                write_batch(landing, name="small", size=size, updates=5, new=5)
            small[size] = run_child("ingest", landing, lake)
            print(
                f"  10-row batch into {size:,} rows: {small[size]['seconds']:.2f} s,"
                f" peak {small[size]['peak_rss_mb']:,.0f} MB",
                flush=True,
            )
    if "small" in parts:
        ratio = small[sizes[-1]]["seconds"] / small[0]["seconds"]
        worst = max(r["peak_rss_mb"] for r in small.values())
        lines += [
            f"small batch: time at {sizes[-1]:,} rows / at 0 rows: {ratio:.2f} (target <= 1.5)",
            f"small batch: worst peak RSS {worst:,.0f} MB (target <= 400 MB)",
        ]
    if "bulk" in parts:
        size = sizes[-1]
        landing = tmp / f"landing{size}"
        batch = write_batch(
            landing,
            name="bulk",
            size=size,
            updates=int(200_000 * scale),
            new=int(1_800_000 * scale),
        )
        rows = int(2_000_000 * scale)
        base = run_child("copy", batch, tmp / "bulk.parquet")
        bulk = run_child("ingest", landing, tmp / f"lake{size}")
        lines += [
            f"bulk merge of {rows:,} rows (10% updates) into {size:,}: {bulk['seconds']:.1f} s"
            f" ({rows / bulk['seconds']:,.0f} rows/s), DuckDB COPY {base['seconds']:.2f} s",
            f"bulk merge: {base['seconds'] / bulk['seconds']:.2f}x COPY (target >= 0.3x),"
            f" peak RSS {bulk['peak_rss_mb']:,.0f} MB (target <= 1024 MB)",
        ]
    return lines


def telemetry_files(folder: Path, *, rows: int, files: int) -> None:
    import duckdb

    folder.mkdir(parents=True)
    per = rows // files
    for n in range(files):
        duckdb.sql(
            f"""
            COPY (
              SELECT {n} * {per} + i AS sample, (i % 24)::INT AS car_id, (i // 100000)::INT AS lap,
                (random() * 330)::FLOAT AS speed_kmh, (random() * 9000)::INT AS rpm,
                (random())::FLOAT AS throttle, (random())::FLOAT AS brake
              FROM range({per}) t(i)
            ) TO '{folder}/part-{n:05d}.parquet' (FORMAT parquet)
            """
        )


GROUP_BY = (
    "SELECT car_id, lap, count(*) AS n, avg(speed_kmh) AS v, max(rpm) AS rpm"
    " FROM {table} GROUP BY car_id, lap ORDER BY car_id, lap"
)


def best_of(runs: int, fn: Any) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_sql(tmp: Path, *, scale: float) -> list[str]:
    import duckdb
    from deltalake import convert_to_deltalake

    from pitwall.lake.layout import get_lake
    from pitwall.sql import connect

    rows = int(50_000_000 * scale)
    lake = get_lake(str(tmp / "sqllake"))
    folder = Path(lake.table_uri("clean", "bench_telemetry"))
    print(f"  generating {rows:,} telemetry rows ...", flush=True)
    telemetry_files(folder, rows=rows, files=20)
    convert_to_deltalake(str(folder))

    def ours() -> None:
        con = connect(lake, names={"bench_telemetry"})
        con.sql(GROUP_BY.format(table="clean.bench_telemetry")).fetchall()
        con.close()

    def plain() -> None:
        con = duckdb.connect()
        con.sql(GROUP_BY.format(table=f"read_parquet('{folder}/*.parquet')")).fetchall()
        con.close()

    base, mine = best_of(3, plain), best_of(3, ours)
    cli = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "pitwall"), "sql", "--lake", lake.root, "-f", "csv",
         GROUP_BY.format(table="clean.bench_telemetry")],
        check=True, capture_output=True,
    )  # fmt: skip
    cli_seconds = time.perf_counter() - cli
    return [
        f"sql group-by over {rows:,} rows: DuckDB on Parquet {base:.2f} s, pitwall.sql"
        f" {mine:.2f} s: {base / mine:.2f}x (target >= 0.8x); `pitwall sql` CLI wall"
        f" {cli_seconds:.2f} s (start-up included)"
    ]


def bench_maintain(tmp: Path, *, scale: float) -> list[str]:
    import polars as pl

    from pitwall.lake.delta import write_table
    from pitwall.lake.layout import get_lake
    from pitwall.lake.maintenance import maintain_table, read_policy
    from pitwall.sql import connect

    lake = get_lake(str(tmp / "smalllake"))
    uri = lake.table_uri("clean", "bench_small_files")
    files, per = max(int(1_000 * scale), 20), 2_000
    print(f"  writing {files:,} small files ...", flush=True)
    for n in range(files):
        ids = pl.int_range(n * per, (n + 1) * per, eager=True)
        write_table(pl.DataFrame({"id": ids, "car_id": ids % 24, "v": ids * 0.5}), uri)
    query = "SELECT car_id, sum(v), count(*) FROM clean.bench_small_files GROUP BY 1"

    def run_query() -> None:
        con = connect(lake, names={"bench_small_files"})
        con.sql(query).fetchall()
        con.close()

    before = best_of(3, run_query)
    start = time.perf_counter()
    report = maintain_table(uri, layer="clean", policy=read_policy(), compact=True)
    compact = time.perf_counter() - start
    after = best_of(3, run_query)
    return [
        f"maintenance: compacting {report.files_before:,} files into {report.files_after}"
        f" took {compact:.1f} s; the query {before:.3f} s -> {after:.3f} s"
        f" ({before / after:.1f}x faster)"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every row count")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="comma-separated: " + ",".join(PARTS)
    )
    parser.add_argument("--child", nargs=3, metavar=("KIND", "A", "B"))
    args = parser.parse_args()
    if args.child:
        kind, a, b = args.child
        result = run_kind(kind, Path(a), Path(b))
        result["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return
    parts = set(args.parts.split(","))
    started = time.perf_counter()
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pitwall-growth-") as name:
        tmp = Path(name)
        if parts & {"small", "bulk"}:
            print("small batches and the bulk merge", flush=True)
            lines += bench_small_and_bulk(tmp, scale=args.scale, parts=parts)
        if "sql" in parts:
            print("SQL over a large table", flush=True)
            lines += bench_sql(tmp, scale=args.scale)
        if "maintain" in parts:
            print("maintenance", flush=True)
            lines += bench_maintain(tmp, scale=args.scale)
        if "telemetry" in parts:
            from growth_telemetry import bench_telemetry

            print("telemetry sessions and the dashboards", flush=True)
            lines += bench_telemetry(tmp, scale=args.scale, run_child=run_child)
    print()
    print(f"growth benchmark, scale {args.scale}, {time.perf_counter() - started:.0f} s")
    for line in lines:
        print("  " + line)


if __name__ == "__main__":
    main()
