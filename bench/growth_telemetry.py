"""Part ``telemetry`` of the growth benchmark (issue 14): one new telemetry session landed into
lakes of 1, 10 and 100 sessions, and the dashboards' queries on the 100-session lake.

A session (see ``growth_captures``) is a race's server capture and one rig's game capture,
about 200k RTCarInfo rows, written straight into the landing zone as the daemons write it.
The measured ingest is ``kedro run --pipeline ingest_assetto`` (a Kedro session of the
project, the catalog's datasets) over a landing zone holding every earlier session, already
landed, plus the new one, in a child process (its peak RSS is its own). The base sessions are
landed the same way, ten to a run (the next ten are generated meanwhile), each run followed
by ``kedro run --pipeline maintain_lake`` as its Airflow DAG runs it in production (daily, so
once a session where sessions are daily: the benchmark maintains ten times less often). The
lake grows from one size to the next, and each measured session stays in it (sessions are
numbered in day order, so the new one is always the newest).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

SIZES = (1, 10, 100)
ROWS = 200_000  # telemetry rows of a session
BASE_RUN = 10  # base sessions landed per pipeline run
REPO = Path(__file__).resolve().parents[1]
RunChild = Callable[..., dict[str, float]]


def sessions(count: int) -> str:
    return f"{count:,} session" + ("" if count == 1 else "s")


def child_kedro_run(pipeline: str, landing: Path, lake_root: Path) -> dict[str, float]:
    """``kedro run --pipeline <pipeline>`` with ``landing`` as the assetto landing zone and
    ``lake_root`` as the lake (in a child): the project's Kedro session, its catalog and
    pipeline, nothing else. Timed from the session's creation (config and catalog loading
    included; imports not, as in ``child_ingest``)."""
    os.environ.update(
        PITWALL_ASSETTO_LANDING=str(landing),
        PITWALL_LAKE_URI=str(lake_root),
        KEDRO_DISABLE_TELEMETRY="true",
    )
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(REPO)
    start = time.perf_counter()
    session = KedroSession.create(project_path=REPO)
    with session:
        session.run(pipeline_names=[pipeline])
    return {"seconds": time.perf_counter() - start}


def write_sessions(landing: Path, numbers: Iterable[int], rows: int) -> int:
    """Sessions ``numbers`` into the landing zone; return the files written."""
    from growth_captures import Session, write_session

    return sum(write_session(landing, Session(n, rows)) for n in numbers)


def sizes_for(scale: float) -> tuple[int, ...]:
    """1, 10 and 100 sessions; fewer (at least 1, 2, 3) when scaled down."""
    return (1, max(2, round(SIZES[1] * scale)), max(3, round(SIZES[2] * scale)))


def build_base(
    landing: Path, lake: Path, *, have: int, want: int, rows: int, run_child: RunChild
) -> None:
    """Land sessions ``have`` .. ``want - 1``, ``BASE_RUN`` to a pipeline run, writing the
    next run's captures while the current run lands."""
    runs = [range(n, min(n + BASE_RUN, want)) for n in range(have, want, BASE_RUN)]
    if not runs:
        return
    print(
        f"  landing base sessions {have + 1} to {want} ({rows:,} telemetry rows each) ...",
        flush=True,
    )
    start, peak, upkeep = time.perf_counter(), 0.0, 0.0
    spawn = multiprocessing.get_context("spawn")  # no fork of a process running DuckDB/polars
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        pending: Future[int] = pool.submit(write_sessions, landing, runs[0], rows)
        for k in range(len(runs)):
            pending.result()
            if k + 1 < len(runs):
                pending = pool.submit(write_sessions, landing, runs[k + 1], rows)
            peak = max(peak, run_child("assetto", landing, lake)["peak_rss_mb"])
            upkeep += run_child("maintain", landing, lake)["seconds"]
    print(
        f"    {len(runs)} run(s), {time.perf_counter() - start:.1f} s, worst peak {peak:,.0f} MB;"
        f" maintain_lake after each run: {upkeep:.1f} s in all",
        flush=True,
    )


def measure(
    landing: Path, lake: Path, *, number: int, rows: int, run_child: RunChild
) -> dict[str, float]:
    """One new session (``number``) into the lake, in a child: seconds and peak RSS."""
    write_sessions(landing, [number], rows)
    os.sync()  # no dirty pages of the base's runs flushed during the measurement
    result = run_child("assetto", landing, lake)
    print(
        f"  a new session into a lake of {sessions(number)}: {result['seconds']:.2f} s,"
        f" peak {result['peak_rss_mb']:,.0f} MB",
        flush=True,
    )
    return result


def dashboards(lake: Path, size: int) -> list[str]:
    from growth_dashboards import dashboard_queries

    from pitwall.lake.layout import get_lake

    print(f"  the dashboards' queries on {sessions(size)} ...", flush=True)
    timings = dashboard_queries(get_lake(str(lake)))
    lines = [f"dashboards, {sessions(size)}: {name} {s:.3f} s" for name, s in timings]
    name, slowest = max(timings, key=lambda t: t[1])
    return [*lines, f"dashboards: slowest query {name} {slowest:.2f} s (target <= 1 s)"]


def bench_telemetry(tmp: Path, *, scale: float, run_child: RunChild) -> list[str]:
    """The part's lines: the new session at each size, the ratio, the worst peak RSS and
    the dashboards' queries on the largest lake (before its new session)."""
    sizes, rows = sizes_for(scale), max(int(ROWS * scale), 2_000)
    landing, lake = tmp / "landing-assetto", tmp / "assetto-lake"
    results: dict[int, dict[str, float]] = {}
    queries: list[str] = []
    have = 0
    for size in sizes:
        build_base(landing, lake, have=have, want=size, rows=rows, run_child=run_child)
        if size == sizes[-1]:
            queries = dashboards(lake, size)
        results[size] = measure(landing, lake, number=size, rows=rows, run_child=run_child)
        have = size + 1
    lines = [
        f"telemetry session ({rows:,} rows) into {sessions(size)}: {r['seconds']:.2f} s,"
        f" peak RSS {r['peak_rss_mb']:,.0f} MB"
        for size, r in results.items()
    ]
    ratio = results[sizes[-1]]["seconds"] / results[sizes[0]]["seconds"]
    worst = max(r["peak_rss_mb"] for r in results.values())
    return [
        *lines,
        f"telemetry session: time at {sessions(sizes[-1])} / at {sizes[0]}: {ratio:.2f}"
        " (target <= 1.5)",
        f"telemetry session: worst peak RSS {worst:,.0f} MB (target <= 400 MB)",
        *queries,
    ]
