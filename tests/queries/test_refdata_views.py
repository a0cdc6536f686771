"""Reference data in the views: identities resolved to people and teams, penalties applied to
the classification, struck laps not counted, sector lines typed in the reference data used.

On the season lake (``tests/queries/season_lake.py``), Cleo (``g-c``) turns out to be a second
account of Bob: both in-game names map to the person ``bob``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pitwall.dashboards.race import leaderboard_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.queries import (
    read_circuit_sectors,
    read_lap_records,
    read_season_circuits,
    read_season_drivers,
    read_season_laps,
    read_session_leaderboard,
)
from pitwall.queries.penalties import PENALTY_SCHEMA, apply_penalties
from pitwall.refdata import ENTITIES, Actor, write_ref
from pitwall.sql import connect
from tests.queries import season_lake as lake_data
from tests.queries.test_season import home

__all__ = ["home"]
ED = Actor("sub-ed", "ed")


def _create(lake: Lake, entity: str, **values: object) -> None:
    spec = ENTITIES[entity]
    full = spec.create.model_validate(values).model_dump()
    write_ref(spec, {k: full[k] for k in spec.keys}, op="create", values=full, actor=ED, lake=lake)


def _penalty(lake: Lake, penalty_id: str, **values: object) -> None:
    _create(lake, "penalties", penalty_id=penalty_id, **values)


@pytest.fixture
def lake(home: Path, tmp_path: Path) -> Lake:
    lake = get_lake(str(tmp_path / "lake"))
    lake_data.write_season_lake(lake)
    return lake


def _connect(lake: Lake) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(lake)
    yield con
    con.close()


def _with_people(lake: Lake) -> None:
    _create(lake, "people", person_id="bob", name="Robert Bianchi")
    _create(lake, "identities", kind="ingame_name", value="Bob", person_id="bob")
    _create(lake, "identities", kind="ingame_name", value="Cleo", person_id="bob")
    _create(lake, "teams", team_id="scuderia", name="Scuderia")
    _create(lake, "memberships", team_id="scuderia", person_id="bob", valid_from="2025-03-02")


def test_two_in_game_names_of_one_person_count_as_one_driver(lake: Lake) -> None:
    for con in _connect(lake):
        before = read_season_drivers(con, "testring")
        assert before.height == 3
    _with_people(lake)
    for con in _connect(lake):
        drivers = read_season_drivers(con, "testring")
        circuits = read_season_circuits(con)
        laps = read_season_laps(con, "testring")
    assert sorted(drivers.get_column("driver_key").to_list()) == ["bob", "g-a"]
    bob = drivers.filter(pl.col("driver_key") == "bob").row(0, named=True)
    assert bob["driver_name"] == "Robert Bianchi"
    assert bob["best_lap_ms"] == min(lake_data.BEST["g-b"], lake_data.BEST["g-c"])
    m2 = circuits.filter((pl.col("track") == "testring") & (pl.col("car_model") == "m2"))
    assert m2.get_column("drivers").to_list() == [1]
    # the team on the day: not yet in s1 (day 0), in the team for s2 (day 1)
    teams = dict(
        laps.filter(pl.col("driver_key") == "bob")
        .group_by("session_id")
        .agg(pl.col("team_id").unique())
        .iter_rows()
    )
    assert teams == {"s1": [None], "s2": ["scuderia"]}
    for con in _connect(lake):
        records = read_lap_records(con, track="testring")
    bobs = records.filter(pl.col("driver_name").is_in(["Bob", "Cleo", "Robert Bianchi"]))
    assert bobs.select("person_id", "driver_name", "team_id", "lap_time_ms").rows() == [
        ("bob", "Robert Bianchi", "scuderia", lake_data.BEST["g-b"])
    ]
    # the session leaderboards (race app, API) carry the team of the session's day too
    for con in _connect(lake):
        standings = {s: read_session_leaderboard(con, s) for s in ("s1", "s2")}
    teams = {
        s: dict(standing.select("driver_name", "team_id").unique().iter_rows())
        for s, standing in standings.items()
    }
    assert teams == {
        "s1": {"Alice": None, "Robert Bianchi": None},
        "s2": {"Alice": None, "Robert Bianchi": "scuderia"},
    }
    shown = leaderboard_table(standings["s2"])
    assert shown.columns[:3] == ["pos", "driver", "team"]
    assert sorted(shown.get_column("team").to_list()) == ["", "scuderia", "scuderia"]
    assert "team" not in leaderboard_table(standings["s1"]).columns  # nobody has one


def test_a_guid_identity_wins_and_a_tombstone_does_not_count(lake: Lake) -> None:
    _create(lake, "people", person_id="alice", name="Alice")
    _create(lake, "identities", kind="ac_guid", value="g-a", person_id="alice")
    _create(lake, "identities", kind="ingame_name", value="Bob", person_id="alice")
    spec = ENTITIES["identities"]
    key = {"kind": "ingame_name", "value": "Bob"}
    write_ref(spec, key, op="delete", values={}, actor=ED, lake=lake, if_version=1)
    for con in _connect(lake):
        keys = set(read_season_laps(con, "testring").get_column("driver_key").to_list())
    assert keys == {"alice", "g-b", "g-c"}  # the game capture's "Alice" too, via her GUID


def test_penalties_change_the_race_classification(lake: Lake) -> None:
    for con in _connect(lake):
        before = read_session_leaderboard(con, "s2")
    assert before.get_column("driver_name").to_list() == ["Alice", "Bob", "Cleo"]
    assert before.get_column("status").to_list() == ["classified"] * 3
    _create(lake, "people", person_id="alice", name="Alice Ascari")
    _create(lake, "identities", kind="ac_guid", value="g-a", person_id="alice")
    reason = "causing a collision"
    _penalty(lake, "p1", session_id="s2", driver="alice", kind="time", seconds=2.5, reason=reason)
    for con in _connect(lake):
        after = read_session_leaderboard(con, "s2")
    # Alice's best 89.0 s + 2.5 s = 91.5 s: behind Bob (90.8 s) and Cleo (91.0 s)
    assert after.get_column("driver_name").to_list() == ["Bob", "Cleo", "Alice Ascari"]
    assert after.get_column("position").to_list() == [1, 2, 3]
    alice = after.row(2, named=True)
    assert (alice["penalty_ms"], alice["person_id"], alice["penalty_reasons"]) == (
        2500,
        "alice",
        [reason],
    )
    _penalty(lake, "p2", session_id="s2", driver="Bob", kind="dsq", reason="illegal car")
    _penalty(
        lake,
        "p3",
        session_id="s1",
        driver="Cleo",
        kind="position",
        positions=1,
        reason="another session",
    )
    for con in _connect(lake):
        final = read_session_leaderboard(con, "s2")
    assert final.get_column("driver_name").to_list() == ["Cleo", "Alice Ascari", "Bob"]
    assert final.get_column("status").to_list() == ["classified", "classified", "DSQ"]
    shown = leaderboard_table(final)
    assert shown.get_column("penalty").to_list() == ["", "+2.5 s", "DSQ"]


def test_position_penalty_drops_places(lake: Lake) -> None:
    _penalty(
        lake,
        "p1",
        session_id="s2",
        driver="Alice",
        kind="position",
        positions=1,
        reason="unsafe rejoin",
    )
    for con in _connect(lake):
        standing = read_session_leaderboard(con, "s2")
    assert standing.get_column("driver_name").to_list() == ["Bob", "Alice", "Cleo"]


def test_a_struck_lap_does_not_count(lake: Lake) -> None:
    # Alice's best lap of s2 is lap 2 (89.0 s); struck, her best is lap 3 (89.6 s)
    _penalty(
        lake,
        "tl",
        session_id="s2",
        driver="Alice",
        kind="struck_lap",
        lap_number=2,
        reason="track limits",
    )
    for con in _connect(lake):
        laps = read_season_laps(con, "testring")
        standing = read_session_leaderboard(con, "s2")
    struck = laps.filter(
        (pl.col("session_id") == "s2")
        & (pl.col("driver_key") == "g-a")
        & (pl.col("lap_number") == 2)
    )
    assert struck.get_column("valid").to_list() == [False]
    assert struck.get_column("counted").to_list() == [False]
    assert standing.row(0, named=True)["driver_name"] == "Alice"  # struck laps are not penalties


def test_sector_lines_from_the_reference_data(lake: Lake) -> None:
    for con in _connect(lake):
        assert read_circuit_sectors(con, "testring").get_column("source")[0] == "conf"
    _create(lake, "circuit_sectors", track="testring", lines_m=[300, 600], length_m=1000)
    for con in _connect(lake):
        sectors = read_circuit_sectors(con, "testring")
        layout = read_circuit_sectors(con, "testring", track_config="short")
    assert sectors.get_column("end_pos").to_list() == pytest.approx([0.3, 0.6, 1.0])
    assert sectors.get_column("source").to_list() == ["ref"] * 3
    assert sectors.get_column("name")[0] == "Test Ring"  # the name still from the conf
    assert layout.get_column("source")[0] == "ref"  # the track's default layout's lines


def test_a_race_standing_ranks_on_laps_before_penalised_time() -> None:
    standing = pl.DataFrame(
        {
            "position": [1, 2, 3],
            "person_id": [None, None, None],
            "driver_name": ["A", "B", "C"],
            "time_ms": [1_000_000, 1_003_000, 990_000],  # C is a lap down
            "laps": [10, 10, 9],
        },
        schema_overrides={"person_id": pl.String},
    )
    penalties = pl.DataFrame(
        [("A", "time", 5.0, None, "track limits")], schema=PENALTY_SCHEMA, orient="row"
    )
    race = apply_penalties(standing, penalties, by_laps=True)
    assert race.get_column("driver_name").to_list() == ["B", "A", "C"]
    assert race.get_column("penalty_ms").to_list() == [0, 5000, 0]
    untouched = apply_penalties(standing, penalties.clear(), by_laps=True)
    assert untouched.get_column("driver_name").to_list() == ["A", "B", "C"]
    assert untouched.get_column("status").to_list() == ["classified"] * 3


def test_a_struck_lap_is_not_a_lap_record(lake: Lake) -> None:
    for con in _connect(lake):
        before = read_lap_records(con, track="testring")
    alice = before.filter(pl.col("driver_name") == "Alice").row(0, named=True)
    _penalty(
        lake,
        "tl-record",
        session_id=alice["session_id"],
        driver="Alice",
        kind="struck_lap",
        lap_number=alice["lap_number"],
        reason="track limits",
    )
    for con in _connect(lake):
        after = read_lap_records(con, track="testring")
    record = after.filter(pl.col("driver_name") == "Alice").row(0, named=True)
    assert (record["session_id"], record["lap_number"]) != (
        alice["session_id"],
        alice["lap_number"],
    )
    assert record["lap_time_ms"] >= alice["lap_time_ms"]  # her next-best lap stands instead
