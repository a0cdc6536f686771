"""The demo's steps print the time they really took, measured, not a label's nominal time."""

from __future__ import annotations

import io
import re
import time

from rich.console import Console

from sandbox.demo.progress import step


def test_a_step_prints_its_measured_wall_time() -> None:
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=False)
    with step(console, "recording a 0 s session") as current:
        time.sleep(0.35)
        current.result = "done"
    printed = re.search(r"✓ recording a 0 s session: done \((\d+\.\d) s\)", out.getvalue())
    assert printed, out.getvalue()
    assert float(printed.group(1)) >= 0.3
