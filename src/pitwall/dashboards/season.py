"""The season view: every session on a circuit, per driver (see :mod:`pitwall.queries.season`)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pitwall.dashboards.formatting import format_delta, format_lap_time
from pitwall.queries.circuits import read_circuit_sectors
from pitwall.queries.frames import Connection
from pitwall.queries.season import (
    head_to_head,
    racing_laps,
    read_season_circuits,
    read_season_incidents,
    read_season_laps,
    read_theoretical_bests,
    season_drivers,
    season_progress,
)

__all__ = [
    "ALL_CARS",
    "REQUIRED_TABLES",
    "Season",
    "circuit_choices",
    "driver_choices",
    "drivers_table",
    "head_to_head_summary",
    "head_to_head_table",
    "racing_laps",
    "read_season",
]

REQUIRED_TABLES: tuple[str, ...] = ("clean.ac_sessions", "clean.ac_laps")
ALL_CARS = "all cars"


@dataclass(frozen=True)
class Season:
    """What the season view shows for a circuit (and car)."""

    laps: pl.DataFrame
    drivers: pl.DataFrame
    progress: pl.DataFrame
    length_m: float | None


def circuit_choices(con: Connection) -> dict[str, str]:
    """Picker options ``"ks_monza (96 laps, 6 cars)" -> "track|layout"``, busiest first."""
    circuits = (
        read_season_circuits(con)
        .group_by("track", "layout")
        .agg(pl.col("laps").sum(), pl.len().alias("cars"))
        .sort("laps", "track", descending=[True, False])
    )
    return {
        f"{track}{' / ' + layout if layout else ''} ({laps} laps, {cars} cars)": (
            f"{track}|{layout}"
        )
        for track, layout, laps, cars in circuits.iter_rows()
    }


def car_choices(con: Connection, circuit: str) -> list[str]:
    """The cars driven on a circuit (``track|layout``), most laps first, after "all cars"."""
    track, layout = circuit.split("|", 1)
    cars = read_season_circuits(con).filter(
        (pl.col("track") == track) & (pl.col("layout") == layout)
    )
    return [ALL_CARS, *cars.get_column("car_model").drop_nulls().to_list()]


def read_season(con: Connection, circuit: str, *, car_model: str = ALL_CARS) -> Season:
    """Laps, per-driver metrics and per-session progress on a circuit (``track|layout``)."""
    track, layout = circuit.split("|", 1)
    car = None if car_model == ALL_CARS else car_model
    laps = read_season_laps(con, track, layout=layout, car_model=car)
    length = read_circuit_sectors(con, track, track_config=layout or None)["length_m"][0]
    drivers = season_drivers(
        laps,
        incidents=read_season_incidents(con, track, layout=layout, car_model=car),
        theoretical=read_theoretical_bests(con, track, layout=layout, car_model=car),
        length_m=length,
    )
    return Season(laps=laps, drivers=drivers, progress=season_progress(laps), length_m=length)


def driver_choices(drivers: pl.DataFrame) -> dict[str, str]:
    """Picker options ``name -> driver_key``, fastest first."""
    return {
        (name or key): key for key, name in drivers.select("driver_key", "driver_name").iter_rows()
    }


def _per_100km(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def drivers_table(drivers: pl.DataFrame) -> pl.DataFrame:
    """The per-driver metrics for display (times m:ss.mmm, gaps signed)."""
    rows = []
    for r in drivers.iter_rows(named=True):
        theoretical = r["theoretical_best_ms"]
        rows.append(
            {
                "driver": r["driver_name"] or r["driver_key"],
                "laps": r["laps"],
                "best lap": format_lap_time(r["best_lap_ms"]),
                "gap": format_delta(r["gap_ms"]) if r["gap_ms"] else "—",
                "theoretical": format_lap_time(theoretical),
                "consistency": "—"
                if r["consistency_ms"] is None
                else f"±{r['consistency_ms'] / 1000:.3f}",
                "improvement": format_delta(r["improvement_ms"])
                if r["improvement_ms"] is not None and r["timed_sessions"] > 1
                else "—",
                "cuts /100km": _per_100km(r["cuts_per_100km"]),
                "hits /100km": _per_100km(r["incidents_per_100km"]),
            }
        )
    return pl.DataFrame(rows)


def head_to_head_summary(duel: pl.DataFrame) -> str:
    """``"2 sessions together: the driver was faster in 1, the rival in 1."`` (markdown)."""
    ahead = int((duel.get_column("gap_ms") < 0).sum())
    behind = int((duel.get_column("gap_ms") > 0).sum())
    return (
        f"**{duel.height}** sessions together: the driver was faster in **{ahead}**, "
        f"the rival in **{behind}**."
    )


def head_to_head_table(laps: pl.DataFrame, *, driver: str, rival: str) -> pl.DataFrame:
    """Session by session, the best laps of ``driver`` and ``rival`` and the gap."""
    duel = head_to_head(laps, driver=driver, rival=rival)
    return duel.select(
        pl.col("started_at").dt.strftime("%Y-%m-%d %H:%M").alias("session"),
        pl.col("session_name").fill_null("—").alias("name"),
        pl.col("driver_ms").map_elements(format_lap_time, return_dtype=pl.String).alias("driver"),
        pl.col("rival_ms").map_elements(format_lap_time, return_dtype=pl.String).alias("rival"),
        pl.col("gap_ms").map_elements(format_delta, return_dtype=pl.String).alias("gap"),
    )
