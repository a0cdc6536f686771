"""Lap analysis: traced laps, traces by distance, running delta, sectors, theoretical best."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pitwall import dashboards as dash
from pitwall.dashboards.interpolate import interpolate_at
from pitwall.lake.delta import write_table
from pitwall.lake.layout import get_lake
from pitwall.queries import read_session_laps
from pitwall.sql import connect
from tests.dashboards.fixture_lake import HOTLAP, hotlap_frames, make_track, sessions_frame


def test_interpolate_is_linear_between_samples_and_flat_outside() -> None:
    samples = pl.DataFrame({"x": [20.0, 0.0, 10.0, 10.0], "y": [400.0, 0.0, 100.0, 999.0]})
    at = pl.Series([5.0, 15.0, -1.0, 25.0, 10.0, None])
    values = interpolate_at(samples, at, x="x", y="y").to_list()
    assert values == [50.0, 250.0, 0.0, 400.0, 100.0, None]


def _constant_speed_lap(speed_ms: float, *, step_m: float, length_m: float = 300.0) -> pl.DataFrame:
    distance = pl.Series([i * step_m for i in range(int(length_m / step_m) + 1)], dtype=pl.Float64)
    return pl.DataFrame({"lap_distance_m": distance, "lap_time_ms": distance / speed_ms * 1000})


def test_lap_delta_is_the_time_lost_at_each_distance() -> None:
    reference = _constant_speed_lap(10.0, step_m=10.0)
    compared = _constant_speed_lap(8.0, step_m=7.0)
    delta = dash.lap_delta(reference, compared)
    assert delta.height == compared.height
    expected = delta["lap_distance_m"] * 25.0  # 1/8 - 1/10 s per metre
    assert (delta["delta_ms"] - expected).abs().max() < 1e-9


def _progress(lap: int, speeds: tuple[float, float, float]) -> pl.DataFrame:
    """A 300 m lap sampled every metre, driven at one speed (m/s) per 100 m sector."""
    rows, t = [], 0.0
    for d in range(301):
        rows.append({"lap_number": lap, "lap_distance_m": float(d), "lap_time_ms": t})
        t += 1000.0 / speeds[min(d // 100, 2)]
    return pl.DataFrame(rows)


def test_sector_times_split_equal_lengths_and_end_at_the_official_time() -> None:
    progress = pl.concat([_progress(1, (10, 10, 10)), _progress(2, (10, 20, 10))])
    laps = pl.DataFrame(
        {"lap_number": [1, 2], "lap_time_ms": [30_000, 25_000], "valid": [True, True]}
    )
    sectors = dash.sector_times(progress, laps)
    by_lap = {
        lap: part.sort("sector")["sector_ms"].to_list()
        for (lap,), part in sectors.partition_by("lap_number", as_dict=True).items()
    }
    assert by_lap[1] == pytest.approx([10_000, 10_000, 10_000])
    assert by_lap[2] == pytest.approx([10_000, 5_000, 10_000])


def test_a_lap_captured_late_keeps_its_distances_and_sectors() -> None:
    late = _progress(1, (10, 10, 10)).filter(pl.col("lap_distance_m") >= 50)  # from 50 m on
    laps = pl.DataFrame({"lap_number": [1], "lap_time_ms": [30_000], "valid": [True]})
    sectors = dash.sector_times(late, laps, length_m=300.0)
    assert sectors["sector_ms"].to_list() == pytest.approx([10_000, 10_000, 10_000])


def test_theoretical_best_takes_each_sector_from_valid_laps_only() -> None:
    sectors = pl.DataFrame(
        {
            "lap_number": [1, 1, 1, 2, 2, 2, 3, 3, 3],
            "sector": [1, 2, 3] * 3,
            "sector_ms": [10.0, 12.0, 9.0, 11.0, 11.0, 9.5, 1.0, 1.0, 1.0],
            "valid": [True] * 6 + [False] * 3,
        }
    )
    best = dash.theoretical_best(sectors)
    assert best.rows() == [(1, 10.0, 1), (2, 11.0, 2), (3, 9.0, 1)]
    laps = pl.DataFrame({"lap_time_ms": [31.0, 31.5, 3.0], "valid": [True, True, False]})
    assert dash.best_lap_summary(laps, best) == {
        "best_lap_ms": 31.0,
        "theoretical_best_ms": 30.0,
        "gain_ms": 1.0,
    }


def test_sector_count_is_validated() -> None:
    with pytest.raises(ValueError, match="sectors"):
        dash.sector_times(pl.DataFrame(), pl.DataFrame(), sectors=0)


def test_telemetry_sessions(con: duckdb.DuckDBPyConnection) -> None:
    sessions = dash.read_telemetry_sessions(con)
    assert sessions.select("session_id", "track", "cars", "laps").rows() == [
        (HOTLAP, "pitwall_ring", 1, 5)
    ]
    assert dash.session_choices(sessions) == {"2025-06-01 14:00 · pitwall_ring · hotlap-1": HOTLAP}


def test_traced_laps_tell_complete_invalid_and_incomplete_laps(
    con: duckdb.DuckDBPyConnection,
) -> None:
    traced = dash.read_traced_laps(con, HOTLAP)
    official = dict(read_session_laps(con, HOTLAP).select("lap_number", "lap_time_ms").iter_rows())
    assert traced["lap_number"].to_list() == [0, 1, 2, 3, 4]
    assert traced["complete"].to_list() == [False, True, True, True, True]
    assert traced["car_model"].unique().to_list() == ["ks_mazda_mx5_cup"]
    labels = dict(zip(traced["lap_number"], traced["label"], strict=True))
    assert labels[0] == "Lap 0 · incomplete"
    assert labels[2] == f"Lap 2 · {dash.format_lap_time(official[2])} · invalid"
    assert labels[3] == f"Lap 3 · {dash.format_lap_time(official[3])}"
    assert dash.car_choices(traced) == {"car 0 · Dana · ks_mazda_mx5_cup": 0}
    assert list(dash.lap_choices(traced, car_id=0).values()) == [0, 1, 2, 3, 4]
    assert dash.default_laps(traced, car_id=0) == (3, 4)


def test_default_laps_fall_back_to_the_last_lap_without_valid_ones() -> None:
    traced = pl.DataFrame(
        {
            "car_id": [0, 0],
            "lap_number": [0, 1],
            "complete": [False, True],
            "valid": [None, False],
            "lap_time_ms": [None, 1000],
        }
    )
    assert dash.default_laps(traced, car_id=0) == (1, None)
    assert dash.default_laps(traced, car_id=9) == (None, None)


def test_traced_laps_without_lap_table_are_all_incomplete(tmp_path) -> None:
    lake = get_lake(str(tmp_path / "lake"))
    frames = hotlap_frames(make_track())
    write_table(frames["ac_telemetry"], lake.table_uri("clean", "ac_telemetry"))
    write_table(sessions_frame(), lake.table_uri("clean", "ac_sessions"))
    traced = dash.read_traced_laps(connect(lake), HOTLAP)
    assert traced.height == 5
    assert not traced["complete"].any()
    assert traced["car_model"].is_null().all()


def test_lap_traces_are_downsampled_and_start_at_zero(con: duckdb.DuckDBPyConnection) -> None:
    traces = dash.read_lap_traces(con, HOTLAP, car_id=0, laps=[3, 1, None, 3], points=100)
    assert traces.group_by("lap_number").len().sort("lap_number").rows() == [(1, 100), (3, 100)]
    starts = traces.group_by("lap_number").agg(pl.col("lap_distance_m").min())
    assert starts["lap_distance_m"].to_list() == [0.0, 0.0]
    assert set(dash.CHANNELS) <= set(traces.columns)
    assert dash.read_lap_traces(con, HOTLAP, car_id=7, laps=[1]).is_empty()
    assert dash.select_lap(traces, 1)["lap_number"].unique().to_list() == [1]
    assert dash.select_lap(traces, None).is_empty()


def test_sectors_of_the_fixture_add_up_and_lap_4_has_the_best_first_sector(
    con: duckdb.DuckDBPyConnection,
) -> None:
    progress = dash.read_lap_progress(con, HOTLAP, car_id=0)
    laps = read_session_laps(con, HOTLAP, car_id=0)
    assert progress.height == con.sql("SELECT count(*) FROM clean.ac_telemetry").fetchall()[0][0]
    sectors = dash.sector_times(progress, laps)
    totals = sectors.group_by("lap_number").agg(pl.col("sector_ms").sum()).sort("lap_number")
    official = laps.sort("lap_number").select("lap_number", "lap_time_ms")
    assert totals["lap_number"].to_list() == official["lap_number"].to_list() == [1, 2, 3, 4]
    assert (totals["sector_ms"] - official["lap_time_ms"]).abs().max() < 1e-6
    best = dash.theoretical_best(sectors)
    assert best["lap_number"].to_list() == [4, 3, 3]
    summary = dash.best_lap_summary(laps, best)
    assert summary["best_lap_ms"] == official.filter(pl.col("lap_number") == 3)["lap_time_ms"][0]
    assert 0 < summary["gain_ms"] < 1000


def test_window_summary_and_distance_window(con: duckdb.DuckDBPyConnection) -> None:
    traces = dash.read_lap_traces(con, HOTLAP, car_id=0, laps=[3, 4])
    inside = dash.window_summary(traces, (500.0, 900.0))
    assert inside["lap_number"].to_list() == [3, 4]
    assert inside["from_m"].min() >= 500 and inside["to_m"].max() <= 900
    whole = dash.window_summary(traces, None)
    assert (whole["time_ms"] > inside["time_ms"]).all()
    assert dash.distance_window(pl.DataFrame()) is None
    picked = pl.DataFrame({"lap_distance_m": [50.0, 5.0, 20.0], "value": [1.0, 2.0, 3.0]})
    assert dash.distance_window(picked) == (5.0, 50.0)
