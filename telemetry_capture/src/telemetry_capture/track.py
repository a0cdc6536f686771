"""Real circuits for the simulators: race lines and track widths resampled for driving.

The geometry ships in ``tracks/`` (TUMFTM racetrack-database, LGPL-3.0: see
``tracks/README.md``). A :class:`Track` is the race line resampled every ``step_m`` metres
and smoothed, with its heading, signed curvature (1/m, > 0 = left-hand bend), the track
width on either side and a synthetic elevation (the source has none). World coordinates
follow Assetto Corsa: ``x`` and ``z`` on the ground (``z`` = minus the map's north axis),
``y`` up.
"""

from __future__ import annotations

import functools
import gzip
import io
from dataclasses import dataclass
from importlib import resources
from typing import Final

import numpy as np

__all__ = ["CIRCUITS", "CircuitInfo", "Track", "circuit_info", "load_track"]


@dataclass(frozen=True)
class CircuitInfo:
    """An Assetto Corsa track id and layout, and the shipped geometry it drives on."""

    track: str  # AC's track folder, as the handshake and NEW_SESSION send it
    config: str  # AC's layout (server NEW_SESSION only)
    name: str
    source: str  # file stem under tracks/centerlines and tracks/racelines
    elevation_m: float  # amplitude of the synthetic elevation profile


CIRCUITS: Final[dict[str, CircuitInfo]] = {
    c.track: c
    for c in (
        CircuitInfo("ks_monza", "", "Monza", "Monza", 6.0),
        CircuitInfo("spa", "", "Spa-Francorchamps", "Spa", 45.0),
        CircuitInfo("ks_silverstone", "gp", "Silverstone", "Silverstone", 4.0),
        CircuitInfo("ks_nurburgring", "layout_gp_a", "Nürburgring GP", "Nuerburgring", 20.0),
        CircuitInfo("ks_red_bull_ring", "layout_gp", "Red Bull Ring", "Spielberg", 30.0),
        CircuitInfo("ks_zandvoort", "", "Zandvoort", "Zandvoort", 8.0),
        CircuitInfo("ks_brands_hatch", "gp", "Brands Hatch GP", "BrandsHatch", 18.0),
        CircuitInfo("suzuka", "", "Suzuka", "Suzuka", 15.0),
    )
}


def circuit_info(track: str) -> CircuitInfo:
    """The circuit of an AC track id (e.g. ``ks_monza``).

    Raises:
        KeyError: not a shipped circuit (the message lists them).
    """
    try:
        return CIRCUITS[track]
    except KeyError:
        raise KeyError(f"unknown circuit {track!r}; shipped: {', '.join(CIRCUITS)}") from None


@dataclass(frozen=True, eq=False)
class Track:
    """A closed race line sampled every ``step`` metres (index ``i`` is at ``s[i] = i * step``)."""

    info: CircuitInfo
    step: float
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    heading: np.ndarray  # radians (unwrapped), direction of travel in the map frame
    curvature: np.ndarray  # 1/m, > 0 = left-hand bend
    slope: np.ndarray  # dy/ds
    crest: np.ndarray  # d(slope)/ds, 1/m: vertical curvature (> 0 = a dip)
    width_left: np.ndarray  # metres from the race line to the left edge
    width_right: np.ndarray

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def length(self) -> float:
        return self.n * self.step

    @property
    def s(self) -> np.ndarray:
        return np.arange(self.n) * self.step

    @functools.cached_property
    def direction(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit direction of travel in world (x, z) at each point."""
        return np.cos(self.heading), -np.sin(self.heading)

    def locate(self, distance: np.ndarray) -> Where:
        """Where ``distance`` (metres, wrapping around the lap) falls between points."""
        f = np.mod(distance, self.length) / self.step
        i0 = f.astype(np.int64)
        i0[i0 >= self.n] = self.n - 1
        i1 = i0 + 1
        i1[i1 == self.n] = 0
        return Where(i0, i1, f - i0)

    def sample(self, values: np.ndarray, distance: np.ndarray | Where) -> np.ndarray:
        """Per-point ``values`` linearly interpolated at ``distance`` (wrapping around the lap)."""
        where = distance if isinstance(distance, Where) else self.locate(distance)
        return values[where.i0] + (values[where.i1] - values[where.i0]) * where.w

    def normal(self, distance: np.ndarray | Where) -> tuple[np.ndarray, np.ndarray]:
        """Unit vector pointing left of the direction of travel, in world (x, z)."""
        dx, dz = self.direction
        return self.sample(dz, distance), -self.sample(dx, distance)


@dataclass(frozen=True)
class Where:
    """Positions along a track: the points before and after, and the fraction between."""

    i0: np.ndarray
    i1: np.ndarray
    w: np.ndarray


def _read_csv(kind: str, stem: str) -> np.ndarray:
    data = resources.files("telemetry_capture").joinpath("tracks", kind, f"{stem}.csv.gz")
    text = gzip.decompress(data.read_bytes()).decode("utf-8")
    return np.loadtxt(io.StringIO(text), delimiter=",", comments="#", ndmin=2)


def _circular_smooth(values: np.ndarray, sigma_points: float) -> np.ndarray:
    """Gaussian smoothing of a closed (periodic) signal, by FFT."""
    n = len(values)
    freqs = np.fft.rfftfreq(n)
    kernel = np.exp(-2 * (np.pi * freqs * sigma_points) ** 2)
    return np.fft.irfft(np.fft.rfft(values) * kernel, n)


def _resample_closed(points: np.ndarray, step: float) -> np.ndarray:
    closed = np.vstack([points, points[:1]])
    chord = np.hypot(*np.diff(closed, axis=0).T)
    s = np.concatenate(([0.0], np.cumsum(chord)))
    count = round(s[-1] / step)
    at = np.arange(count) * (s[-1] / count)
    return np.column_stack([np.interp(at, s, closed[:, k]) for k in range(points.shape[1])])


def _widths(line: np.ndarray, centre: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Width left and right of each race line point: the nearest centre line point's widths,
    shifted by the race line's signed offset from the centre."""
    right, left = centre[:, 2], centre[:, 3]
    tangent = np.gradient(centre[:, :2], axis=0)
    tangent /= np.linalg.norm(tangent, axis=1, keepdims=True)
    nearest = np.empty(len(line), dtype=np.int64)
    for start in range(0, len(line), 512):  # bounded memory: 512 x centre points at a time
        chunk = line[start : start + 512, None, :2] - centre[None, :, :2]
        nearest[start : start + 512] = np.argmin((chunk**2).sum(axis=2), axis=1)
    d = line[:, :2] - centre[nearest, :2]
    # left normal of the centre line's tangent (tx, ty) is (-ty, tx)
    offset = d[:, 0] * -tangent[nearest, 1] + d[:, 1] * tangent[nearest, 0]
    return np.maximum(left[nearest] - offset, 0.5), np.maximum(right[nearest] + offset, 0.5)


@functools.lru_cache(maxsize=16)
def load_track(track: str, *, step_m: float = 2.0) -> Track:
    """The shipped circuit ``track`` (an AC track id), resampled every ``step_m`` metres."""
    info = circuit_info(track)
    line = _read_csv("racelines", info.source)
    centre = _read_csv("centerlines", info.source)
    fine = _resample_closed(line, step_m)
    step = float(np.hypot(*np.diff(np.vstack([line, line[:1]]), axis=0).T).sum()) / len(fine)
    mx = _circular_smooth(fine[:, 0], 3.0 / step)
    my = _circular_smooth(fine[:, 1], 3.0 / step)
    dx = (np.roll(mx, -1) - np.roll(mx, 1)) / (2 * step)
    dy = (np.roll(my, -1) - np.roll(my, 1)) / (2 * step)
    heading = np.arctan2(dy, dx)
    turn = np.angle(np.exp(1j * (np.roll(heading, -1) - np.roll(heading, 1))))
    curvature = _circular_smooth(turn / (2 * step), 6.0 / step)
    n = len(fine)
    phase = 2 * np.pi * np.arange(n) / n
    rise = info.elevation_m / 2
    elevation = rise * (
        np.sin(phase + 0.7) + 0.45 * np.sin(2 * phase + 2.1) + 0.2 * np.sin(5 * phase)
    )
    left, right = _widths(np.column_stack([mx, my]), centre)
    slope = np.gradient(elevation, step)
    return Track(
        info=info,
        step=step,
        x=mx,
        y=elevation,
        z=-my,
        heading=np.unwrap(heading),
        curvature=curvature,
        slope=slope,
        crest=np.gradient(slope, step),
        width_left=_circular_smooth(left, 5.0 / step),
        width_right=_circular_smooth(right, 5.0 / step),
    )
