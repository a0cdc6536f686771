"""The shipped ``conf/base/circuits.yml`` has a default for every circuit the simulators drive:
its lap length is the race line's, and each sector line sits on a straight."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from telemetry_capture.track import CIRCUITS, load_track

from pitwall.queries.circuits import read_circuits

REPO = Path(__file__).resolve().parents[2]
STRAIGHT_RADIUS_M = 500.0  # a sector line in a bend would split a braking zone


@pytest.mark.parametrize("track", sorted(CIRCUITS))
def test_every_shipped_circuit_has_default_sector_lines_on_straights(track: str) -> None:
    conf = read_circuits(home=REPO)
    assert track in conf, f"conf/base/circuits.yml has no entry for {track}"
    circuit = conf[track]
    geometry = load_track(track)
    assert circuit.name == CIRCUITS[track].name
    assert circuit.length_m == pytest.approx(geometry.length, rel=0.005)
    assert len(circuit.sector_lines) == 2  # three sectors, as AC times them
    at = np.array(circuit.sector_lines) * geometry.length
    radius = 1 / np.abs(geometry.sample(geometry.curvature, at))
    assert (radius > STRAIGHT_RADIUS_M).all(), dict(zip(circuit.sector_lines, radius, strict=True))
