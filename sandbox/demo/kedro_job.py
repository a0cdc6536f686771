"""``kedro run`` for the demo, with a progress bar per pipeline driven by Kedro's own log.

Kedro runs in a subprocess (as a user would run it) with a plain-text logging config; the
demo follows its log file and moves one bar per pipeline as the nodes complete. A pipeline's
time is the sum of its nodes' times (Kedro interleaves the ingests' nodes in one run); a
node's time starts when Kedro begins loading its inputs (our datasets do real work there: the
crawl, for one) and ends when its outputs are saved.
"""

from __future__ import annotations

import logging
import re
import subprocess  # nosec B404
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from sandbox.demo.processes import stop_process
from sandbox.demo.progress import done_line

log = logging.getLogger(__name__)

LOGGING_CONFIG = Path(__file__).with_name("kedro_logging.yml")
_LOADING = re.compile(r"Loading data from ")
_RUNNING = re.compile(r"Running node: ([^:\s]+)")
_COMPLETED = re.compile(r"Completed node: (\S+)")
OTHER = "other nodes"


@dataclass
class RunClock:
    """When the node Kedro is about to run began loading its inputs, and when the first did."""

    loading_since: float | None = None
    first_node_at: float | None = None


@dataclass
class PipelineRun:
    """What the log said of one pipeline's nodes."""

    name: str
    nodes: int
    done: int = 0
    seconds: float = 0.0
    task: TaskID | None = None
    running_since: dict[str, float] = field(default_factory=dict)

    def busy(self, now: float) -> float:
        return self.seconds + sum(now - t for t in self.running_since.values())


def read_node_owners() -> dict[str, str]:
    """Node name -> the registered pipeline it belongs to (``__default__`` aside), in the
    registry's order."""
    from pipelines.pipeline_registry import register_pipelines

    owners: dict[str, str] = {}
    for name, pipeline in register_pipelines().items():
        if name == "__default__":
            continue
        for node in pipeline.nodes:
            owners.setdefault(node.name, name)
    return owners


def run_kedro(
    home: Path, *, env: Mapping[str, str], log_file: Path, console: Console
) -> list[PipelineRun]:
    """``kedro run`` (every ingest, then the mirror) with live progress; raises on failure."""
    owners = read_node_owners()
    runs: dict[str, PipelineRun] = {}
    for pipeline in owners.values():
        runs.setdefault(pipeline, PipelineRun(pipeline, 0)).nodes += 1
    log_file.parent.mkdir(parents=True, exist_ok=True)
    kedro = Path(sys.executable).with_name("kedro")
    started = time.perf_counter()
    clock = RunClock()
    with log_file.open("w") as out, log_file.open() as follow, _bars(console) as progress:
        for run in runs.values():
            run.task = progress.add_task(f"kedro {run.name}", total=run.nodes, busy=0.0)
        proc = subprocess.Popen(  # nosec B603
            [str(kedro), "run"],
            cwd=home,
            env={**env, "KEDRO_LOGGING_CONFIG": str(LOGGING_CONFIG), "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            _follow(proc, follow, owners=owners, runs=runs, progress=progress, clock=clock)
        except BaseException:
            stop_process(proc)
            raise
    if proc.returncode != 0:
        tail = log_file.read_text(errors="replace").splitlines()[-40:]
        raise RuntimeError("kedro run failed:\n" + "\n".join(tail) + f"\n(full log: {log_file})")
    for run in runs.values():
        console.print(done_line(f"kedro {run.name}", f"{run.done} node(s)", seconds=run.seconds))
    total = sum(run.done for run in runs.values())
    seconds = time.perf_counter() - started
    startup = (clock.first_node_at or started) - started
    result = f"{total} node(s); {startup:.1f} s starting Kedro and its catalog"
    console.print(done_line("kedro run", result, seconds=seconds))
    return list(runs.values())


def _bars(console: Console) -> Progress:
    """One bar per pipeline: nodes done, time in its nodes, wall-clock time so far."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<24}"),
        BarColumn(bar_width=16),
        MofNCompleteColumn(),
        TextColumn("{task.fields[busy]:5.1f} s"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _follow(
    proc: subprocess.Popen[bytes],
    log: IO[str],
    *,
    owners: Mapping[str, str],
    runs: dict[str, PipelineRun],
    progress: Progress,
    clock: RunClock,
) -> None:
    """Read the log as Kedro writes it until the process exits; update the bars."""
    partial = ""
    while True:
        chunk = log.readline()
        if chunk:
            partial += chunk
            if partial.endswith("\n"):
                _on_line(partial, owners=owners, runs=runs, clock=clock)
                partial = ""
            continue
        now = time.perf_counter()
        for run in runs.values():
            if run.task is not None:
                progress.update(run.task, completed=run.done, busy=run.busy(now))
        if proc.poll() is not None:
            rest = log.read()
            for line in (partial + rest).splitlines():
                _on_line(line, owners=owners, runs=runs, clock=clock)
            return
        time.sleep(0.1)


def _on_line(
    line: str, *, owners: Mapping[str, str], runs: dict[str, PipelineRun], clock: RunClock
) -> None:
    now = time.perf_counter()
    if _LOADING.search(line):
        if clock.loading_since is None:
            clock.loading_since = now
            clock.first_node_at = clock.first_node_at or now
    elif match := _RUNNING.search(line):
        node = match.group(1)
        start = clock.loading_since or now
        clock.first_node_at = clock.first_node_at or start
        _run_of(node, owners=owners, runs=runs).running_since[node] = start
        clock.loading_since = None
    elif match := _COMPLETED.search(line):
        node = match.group(1)
        run = _run_of(node, owners=owners, runs=runs)
        run.seconds += now - run.running_since.pop(node, now)
        run.done += 1
        clock.loading_since = None


def _run_of(node: str, *, owners: Mapping[str, str], runs: dict[str, PipelineRun]) -> PipelineRun:
    name = owners.get(node, OTHER)
    return runs.setdefault(name, PipelineRun(name, 0))
