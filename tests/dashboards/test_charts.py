"""Chart builders: valid Vega-Lite specs with the encodings and selections the apps rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from pitwall import dashboards as dash
from pitwall.dashboards import charts
from pitwall.queries import read_quarantine_summary, read_session_laps
from tests.dashboards.fixture_lake import HOTLAP, RACE


def _params(spec: dict[str, Any]) -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for param in node.get("params", []):
                found.add(param["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def _data(chart: Any) -> pl.DataFrame:
    return chart.data if isinstance(chart.data, pl.DataFrame) else pl.DataFrame(chart.data)


def test_channels_chart_has_one_row_per_channel_and_a_distance_brush(
    con: duckdb.DuckDBPyConnection,
) -> None:
    traces = dash.read_lap_traces(con, HOTLAP, car_id=0, laps=[3, 4], points=200)
    chart = charts.channels_chart(traces)
    spec = chart.to_dict()
    assert _params(spec) == {"distance"}
    assert spec["facet"]["row"]["field"] == "channel"
    long = _data(chart)
    assert long.height == 2 * 200 * len(dash.CHANNELS)
    assert set(long["channel"]) == {"speed (km/h)", "throttle", "brake", "steering", "gear", "rpm"}
    assert set(long["lap"]) == {"Lap 3", "Lap 4"}


def test_speed_map_highlights_the_window(con: duckdb.DuckDBPyConnection) -> None:
    lap = dash.select_lap(dash.read_lap_traces(con, HOTLAP, car_id=0, laps=[3]), 3)
    chart = charts.speed_map_chart(lap, window=(100.0, 300.0))
    spec = chart.to_dict()
    assert spec["encoding"]["color"]["field"] == "speed_kmh"
    x, y = spec["encoding"]["x"]["scale"]["domain"], spec["encoding"]["y"]["scale"]["domain"]
    assert abs((x[1] - x[0]) - (y[1] - y[0])) < 1e-6  # same span: the track keeps its shape
    flagged = _data(chart).filter("in_window")["lap_distance_m"]
    assert flagged.min() >= 100 and flagged.max() <= 300 and flagged.len() > 0
    assert _data(charts.speed_map_chart(lap))["in_window"].all()


def test_delta_and_sector_charts(con: duckdb.DuckDBPyConnection) -> None:
    traces = dash.read_lap_traces(con, HOTLAP, car_id=0, laps=[3, 4])
    delta = dash.lap_delta(dash.select_lap(traces, 3), dash.select_lap(traces, 4))
    spec = charts.delta_chart(delta, title="vs lap 3").to_dict()
    assert spec["encoding"]["y"]["field"] == "delta_s"
    progress = dash.read_lap_progress(con, HOTLAP, car_id=0)
    sectors = dash.sector_times(progress, read_session_laps(con, HOTLAP, car_id=0))
    chart = charts.sectors_chart(sectors)
    chart.to_dict()
    assert set(_data(chart)["sector"]) == {"S1", "S2", "S3"}


def test_race_charts_pick_drivers(con: duckdb.DuckDBPyConnection) -> None:
    positions = dash.read_lap_positions(con, RACE)
    spec = charts.positions_chart(positions).to_dict()
    assert _params(spec) == {"driver"}
    assert spec["encoding"]["y"]["scale"]["reverse"] is True
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Ana", "Ben", "Cleo", "Dev"]
    gaps = charts.gaps_chart(positions)
    gaps.to_dict()
    assert _data(gaps).filter(pl.col("position") == 1)["gap_s"].to_list() == [0.0] * 6
    laps = charts.lap_times_chart(read_session_laps(con, RACE))
    laps.to_dict()
    assert _data(laps)["lap_time_s"].max() < 60


def test_collisions_map_layers_track_and_picks(con: duckdb.DuckDBPyConnection) -> None:
    chart = charts.collisions_map_chart(
        dash.read_track_outline(con, RACE), dash.read_collisions(con, RACE)
    )
    spec = chart.to_dict()
    assert len(spec["layer"]) == 2
    assert _params(spec) == {"collision"}


def test_health_charts_pick_tables_sources_and_reasons(con: duckdb.DuckDBPyConnection) -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert _params(charts.table_rows_chart(dash.read_table_health(con, now=now)).to_dict()) == {
        "table"
    }
    ingestion = charts.ingestion_chart(dash.read_source_summary(con))
    assert _params(ingestion.to_dict()) == {"source"}
    assert set(_data(ingestion)["outcome"]) == {"landed", "quarantined"}
    assert "lap_times/round1.csv" in set(_data(ingestion)["label"])
    reasons = charts.quarantine_reasons_chart(read_quarantine_summary(con))
    assert _params(reasons.to_dict()) == {"reason"}


def test_quick_chart_guesses_a_sensible_chart() -> None:
    at = [datetime(2025, 1, d, tzinfo=UTC) for d in (1, 2, 3)]
    timeline = pl.DataFrame({"at": at, "kind": ["a", "b", "a"], "n": [1, 2, 3]})
    assert charts.plan_quick_chart(timeline) == charts.QuickPlan("line", "at", "n", "kind")
    bars = pl.DataFrame({"driver": ["Ana", "Ben"], "best_s": [90.1, 91.2]})
    assert charts.plan_quick_chart(bars) == charts.QuickPlan("bar", "driver", "best_s")
    scatter = pl.DataFrame({"x": [1.0, 2.0], "y": [3, 4]})
    assert charts.plan_quick_chart(scatter) == charts.QuickPlan("scatter", "x", "y")
    assert charts.plan_quick_chart(pl.DataFrame({"name": ["a"]})) is None
    assert charts.plan_quick_chart(pl.DataFrame({"n": [1]})) is None
    for frame in (timeline, bars, scatter):
        chart = charts.quick_chart(frame)
        assert chart is not None and _params(chart.to_dict()) == {"rows"}
    big = pl.DataFrame({"x": list(range(20_000)), "y": list(range(20_000))})
    assert _data(charts.quick_chart(big)).height == 5_000
