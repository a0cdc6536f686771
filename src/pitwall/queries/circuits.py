"""Circuits: names, lap lengths and sector lines, from the reference table
``clean.ref_circuit_sectors`` (edited through the API) or ``conf/<env>/circuits.yml``.

:func:`read_circuit_sectors` is the one place that reads sector lines: the lap analysis, the
season view and the API all go through it.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.schema import has_table
from pitwall.queries.values import QueryError
from pitwall.settings import get_settings

__all__ = ["SECTOR_SCHEMA", "CircuitConf", "read_circuit_sectors", "read_circuits"]

CONF_FILE = "circuits.yml"
DEFAULT_LINES = (1 / 3, 2 / 3)  # a circuit nobody described: three equal sectors
SECTOR_SCHEMA: dict[str, pl.DataType] = {
    "track": pl.String(),
    "track_config": pl.String(),
    "name": pl.String(),
    "sector": pl.Int64(),
    "start_pos": pl.Float64(),
    "end_pos": pl.Float64(),
    "length_m": pl.Float64(),
    "source": pl.String(),
}

Fraction = Annotated[float, Field(gt=0.0, lt=1.0)]


class CircuitConf(BaseModel):
    """One circuit of ``circuits.yml``."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    length_m: float | None = Field(default=None, gt=0)
    sector_lines: list[Fraction] = Field(default_factory=lambda: list(DEFAULT_LINES))

    @field_validator("sector_lines")
    @classmethod
    def _increasing(cls, lines: list[float]) -> list[float]:
        if any(b <= a for a, b in itertools.pairwise(lines)):
            raise ValueError("sector lines must increase along the lap")
        return lines


def read_circuits(*, home: Path | None = None) -> dict[str, CircuitConf]:
    """Every circuit of ``conf/base/circuits.yml``, replaced entry by entry by
    ``conf/local/circuits.yml``.

    Raises:
        QueryError: a file does not parse or an entry is invalid (the message says which).
    """
    conf = (home or get_settings().home) / "conf"
    circuits: dict[str, CircuitConf] = {}
    for env in ("base", "local"):
        path = conf / env / CONF_FILE
        if not path.is_file():
            continue
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            entries = dict(raw.get("circuits") or {})
            circuits.update({str(k): CircuitConf.model_validate(v) for k, v in entries.items()})
        except (yaml.YAMLError, ValidationError, AttributeError, TypeError) as exc:
            raise QueryError(f"{path}: {exc}") from exc
    return circuits


def sector_frame(
    lines: list[float],
    *,
    track: str,
    track_config: str | None = None,
    name: str | None = None,
    length_m: float | None = None,
    source: str = "user",
) -> pl.DataFrame:
    """Sectors from their end lines (fractions of the lap, increasing, in (0, 1))."""
    checked = CircuitConf(sector_lines=lines).sector_lines
    bounds = [0.0, *checked, 1.0]
    return pl.DataFrame(
        {
            "track": track,
            "track_config": track_config or "",
            "name": name or track,
            "sector": list(range(1, len(bounds))),
            "start_pos": bounds[:-1],
            "end_pos": bounds[1:],
            "length_m": length_m,
            "source": source,
        },
        schema=SECTOR_SCHEMA,
    )


def _read_ref_lines(
    con: Connection, track: str, *, track_config: str | None
) -> tuple[list[float], float] | None:
    """``(lines_m, length_m)`` of the layout (else of the track's default layout) in
    ``clean.ref_circuit_sectors``, if there."""
    if not has_table(con, layer="clean", table="ref_circuit_sectors"):
        return None
    found = fetch_frame(
        con,
        """
        SELECT lines_m, length_m FROM clean.ref_circuit_sectors
        WHERE NOT deleted AND track = $track AND layout IN ($layout, '')
        ORDER BY layout = $layout DESC LIMIT 1
        """,
        {"track": track, "layout": track_config or ""},
    )
    if found.is_empty():
        return None
    lines, length = found.row(0)
    return [float(x) for x in lines], float(length)


def read_circuit_sectors(
    con: Connection,
    track: str,
    *,
    track_config: str | None = None,
    home: Path | None = None,
) -> pl.DataFrame:
    """The sectors of a circuit (``SECTOR_SCHEMA``): one row per sector, from ``start_pos`` to
    ``end_pos`` (fractions of the lap), with the circuit's name and lap length.

    Sector lines typed in the reference data (``source`` = ``ref``: distances along the lap,
    placed on it by the lap's length) win over the conf, where the entry ``<track>/<layout>``
    wins over ``<track>``; a circuit with neither gets three equal sectors (``source`` =
    ``default``) and no length.
    """
    circuits = read_circuits(home=home)
    key = f"{track}/{track_config}" if track_config else track
    found = circuits.get(key) or circuits.get(track)
    ref = _read_ref_lines(con, track, track_config=track_config)
    if ref is not None:
        lines_m, length_m = ref
        return sector_frame(
            [m / length_m for m in lines_m],
            track=track,
            track_config=track_config,
            name=found.name if found else None,
            length_m=length_m,
            source="ref",
        )
    if found is None:
        return sector_frame(
            list(DEFAULT_LINES), track=track, track_config=track_config, source="default"
        )
    return sector_frame(
        found.sector_lines,
        track=track,
        track_config=track_config,
        name=found.name,
        length_m=found.length_m,
        source="conf",
    )
