"""Season metrics on a small hand-built lake with answers worked out by hand
(``tests/queries/season_lake.py``); circuits and sector lines from conf."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pitwall.lake.layout import get_lake
from pitwall.queries import (
    QueryError,
    head_to_head,
    read_circuit_sectors,
    read_season_circuits,
    read_season_drivers,
    read_season_laps,
    read_telemetry_laps,
    read_theoretical_bests,
    season_progress,
)
from pitwall.settings import get_settings
from pitwall.sql import connect
from tests.queries import season_lake as lake_data


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project home whose conf describes ``testring``, exported as PITWALL_HOME."""
    root = tmp_path_factory.mktemp("season-home")
    (root / "conf" / "base").mkdir(parents=True)
    (root / "conf" / "base" / "circuits.yml").write_text(lake_data.CONF)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PITWALL_HOME", str(root))
        get_settings.cache_clear()
        yield root
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def season(
    home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[duckdb.DuckDBPyConnection]:
    lake = get_lake(str(tmp_path_factory.mktemp("season-lake")))
    lake_data.write_season_lake(lake)
    connection = connect(lake)
    yield connection
    connection.close()


def _by_driver(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["driver_key"]: row for row in frame.iter_rows(named=True)}


def test_a_lap_timed_by_the_server_and_captured_by_the_game_counts_once(
    season: duckdb.DuckDBPyConnection,
) -> None:
    laps = read_season_laps(season, "testring", layout="")
    assert laps.height == sum(len(v) for k, v in lake_data.SERVER_LAPS.items() if k[0] != "s3")
    assert set(laps["protocol"]) == {"server"}  # the rig's three laps were the server's
    alice = laps.filter(pl.col("driver_name") == "Alice")
    assert set(alice["driver_key"]) == {"g-a"}
    assert laps.filter(pl.col("lap_time_ms") == 91_000, pl.col("driver_key") == "g-a")[
        "counted"
    ].to_list() == [False]  # one cut: not counted


def test_best_lap_gap_consistency_and_improvement(season: duckdb.DuckDBPyConnection) -> None:
    drivers = _by_driver(read_season_drivers(season, "testring", layout="", car_model="m1"))
    assert set(drivers) == {"g-a", "g-b"}  # Cleo drove another car
    for key in ("g-a", "g-b"):
        row = drivers[key]
        assert row["best_lap_ms"] == lake_data.BEST[key]
        racing = lake_data.RACING[key]
        assert row["racing_laps"] == len(racing)
        assert row["consistency_ms"] == pytest.approx(statistics.stdev(racing))
        assert row["spread_ms"] == max(racing) - min(racing)
        assert row["improvement_ms"] == lake_data.IMPROVEMENT[key]
        assert row["sessions"] == 2 and row["laps"] == 7
    assert drivers["g-b"]["gap_ms"] == 1_800 and drivers["g-a"]["gap_ms"] == 0
    assert drivers["g-a"]["driver_name"] == "Alice"


def test_theoretical_best_from_best_sectors_across_laps(
    season: duckdb.DuckDBPyConnection,
) -> None:
    bests = _by_driver(read_theoretical_bests(season, "testring", layout=""))
    assert set(bests) == {"g-a"}  # the only driver with telemetry
    assert bests["g-a"]["theoretical_best_ms"] == pytest.approx(lake_data.THEORETICAL_ALICE)
    assert bests["g-a"]["sectors"] == pytest.approx([21_500, 23_000, 44_000])
    drivers = _by_driver(read_season_drivers(season, "testring", layout=""))
    assert drivers["g-a"]["theoretical_best_ms"] == pytest.approx(88_500)
    assert drivers["g-b"]["theoretical_best_ms"] is None


def test_the_theoretical_best_takes_each_sector_from_any_session(
    home: Path, tmp_path: Path
) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    lake_data.write_season_lake(lake)
    lake_data.write_practice_rig(lake)  # Alice's rig in the practice too: a faster S1 there
    con = connect(lake)
    try:
        bests = _by_driver(read_theoretical_bests(con, "testring", layout=""))
        drivers = _by_driver(read_season_drivers(con, "testring", layout="", car_model="m1"))
    finally:
        con.close()
    assert bests["g-a"]["sectors"] == pytest.approx([21_000, 23_000, 44_000])
    expected = lake_data.THEORETICAL_ALICE_ACROSS_SESSIONS
    assert bests["g-a"]["theoretical_best_ms"] == pytest.approx(expected)
    assert expected < lake_data.THEORETICAL_ALICE  # neither session alone gives it
    alice = drivers["g-a"]
    assert alice["theoretical_best_ms"] == pytest.approx(expected)
    assert (alice["best_lap_ms"], alice["laps"]) == (lake_data.BEST["g-a"], 7)  # rig laps once


def test_cuts_and_incidents_per_100_km(season: duckdb.DuckDBPyConnection) -> None:
    drivers = _by_driver(read_season_drivers(season, "testring", layout=""))
    for key in ("g-a", "g-b", "g-c"):
        assert drivers[key]["cuts_per_100km"] == pytest.approx(lake_data.CUTS_PER_100KM[key])
        assert drivers[key]["incidents_per_100km"] == pytest.approx(
            lake_data.INCIDENTS_PER_100KM[key]
        )
    assert drivers["g-a"]["incidents"] == 2 and drivers["g-a"]["reported_km"] == pytest.approx(7)
    assert drivers["g-c"]["reported_km"] == pytest.approx(2)


def test_progress_and_head_to_head(season: duckdb.DuckDBPyConnection) -> None:
    laps = read_season_laps(season, "testring", layout="")
    progress = season_progress(laps).filter(pl.col("driver_key") == "g-a")
    assert progress.select("session_id", "best_ms").rows() == [("s1", 90_000), ("s2", 89_000)]
    duel = head_to_head(laps, driver="g-a", rival="g-b")
    assert duel.select("session_id", "driver_ms", "rival_ms", "gap_ms").rows() == [
        ("s1", 90_000, 91_500, -1_500),
        ("s2", 89_000, 90_800, -1_800),
    ]
    assert head_to_head(laps, driver="g-a", rival="g-c")["session_id"].to_list() == ["s2"]


def test_circuits_and_telemetry_laps_with_their_best_flags(
    season: duckdb.DuckDBPyConnection,
) -> None:
    circuits = read_season_circuits(season)
    assert circuits.filter(pl.col("track") == "testring").select(
        "layout", "car_model", "drivers", "laps"
    ).rows() == [("", "m1", 2, 17), ("", "m2", 1, 2)]
    traced = read_telemetry_laps(season, track="testring", layout="", car_model="m1")
    assert traced.select("lap_number", "lap_time_ms", "cuts", "counted").rows() == [
        (2, 89_000, 0, True),
        (3, 89_600, 0, True),
    ]
    assert traced["all_time_best"].to_list() == [True, False]
    assert traced["personal_best"].to_list() == [True, False]
    assert traced["session_best"].to_list() == [True, False]
    assert set(traced["driver_key"]) == {"g-a"}  # the rig's name matched to Alice's GUID


def test_sector_lines_come_from_conf_with_local_overrides(
    season: duckdb.DuckDBPyConnection, home: Path
) -> None:
    sectors = read_circuit_sectors(season, "testring")
    assert sectors.select("sector", "start_pos", "end_pos").rows() == [
        (1, 0.0, 0.25),
        (2, 0.25, 0.5),
        (3, 0.5, 1.0),
    ]
    assert sectors["length_m"].to_list() == [1000.0] * 3 and set(sectors["source"]) == {"conf"}
    unknown = read_circuit_sectors(season, "nowhere")
    assert unknown["end_pos"].to_list() == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert set(unknown["source"]) == {"default"} and unknown["length_m"].is_null().all()
    local = home / "conf" / "local"
    local.mkdir(exist_ok=True)
    try:
        (local / "circuits.yml").write_text(
            "circuits:\n  testring/short:\n    sector_lines: [0.5]\n"
        )
        assert read_circuit_sectors(season, "testring", track_config="short")[
            "end_pos"
        ].to_list() == [0.5, 1.0]
        assert read_circuit_sectors(season, "testring").height == 3  # the base entry still
        (local / "circuits.yml").write_text(
            "circuits:\n  testring:\n    sector_lines: [0.6, 0.2]\n"
        )
        with pytest.raises(QueryError, match="increase"):
            read_circuit_sectors(season, "testring")
    finally:
        (local / "circuits.yml").unlink()
