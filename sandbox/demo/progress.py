"""Progress of the demo's steps: a live spinner with the real elapsed time, then one line
with the real duration (rich)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


@dataclass
class Step:
    """A running step: set ``result`` to say what it did on its closing line."""

    label: str
    started: float = field(default_factory=time.perf_counter)
    result: str = ""

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


def live_progress(console: Console) -> Progress:
    """A spinner, the description and the elapsed wall-clock time, cleared when done."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@contextmanager
def step(console: Console, label: str) -> Iterator[Step]:
    """Show ``label`` with a live elapsed time; then print ``✓ label: result (N.N s)``."""
    current = Step(label)
    if not console.is_terminal:  # a pipe or a file: only the closing line
        yield current
    else:
        with live_progress(console) as progress:
            progress.add_task(label, total=None)
            yield current
    console.print(done_line(current.label, current.result, seconds=current.seconds))


def done_line(label: str, result: str, *, seconds: float, width: int = 80) -> str:
    """The closing line of a step, with its real duration; a long result goes on a second
    line, so that nothing wraps in 80 columns."""
    took = f"({seconds:.1f} s)"
    if result and len(f"✓ {label}: {result} {took}") > width:
        return f"[green]✓[/green] {label} [dim]{took}[/dim]\n  {result}"
    detail = f": {result}" if result else ""
    return f"[green]✓[/green] {label}{detail} [dim]{took}[/dim]"
