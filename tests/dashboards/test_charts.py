"""Chart builders: valid Vega-Lite specs with the encodings and selections the apps rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl
import pytest

from pitwall import dashboards as dash
from pitwall.dashboards import charts
from pitwall.queries import read_quarantine_summary, read_session_laps, read_telemetry_laps
from tests.dashboards.fixture_lake import HOTLAP, HOTLAP2, RACE


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


@pytest.fixture
def aligned(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    circuit = read_telemetry_laps(con, track="pitwall_ring", layout="gp")
    shown = dash.selected_laps(
        circuit,
        [dash.lap_key(HOTLAP, 0, "guid-dana", 3), dash.lap_key(HOTLAP2, 0, "guid-eve", 2)],
        reference=dash.lap_key(HOTLAP, 0, "guid-dana", 4),
    )
    channels = ["speed_kmh", "throttle", "brake", "g_lateral", "g_longitudinal"]
    samples = dash.read_lap_set(con, shown, channels=channels)
    return dash.align_laps(samples, axis="distance", channels=channels)


def test_overview_zooms_and_the_stack_shares_its_axis_with_the_signed_delta(
    aligned: pl.DataFrame,
) -> None:
    overview = charts.overview_chart(aligned, axis="distance").to_dict()
    assert _params(overview) == {"zoom"}
    chart = charts.stack_chart(aligned, channels=["speed_kmh", "throttle"], axis="distance")
    spec = chart.to_dict()
    assert _params(spec) == {"hover", "cursor"}
    assert spec["facet"]["row"]["field"] == "panel"
    panels = spec["facet"]["row"]["sort"]
    assert panels == ["speed (km/h)", "throttle", "Δt vs ref (s) · + = slower than reference"]
    wide = _data(chart)
    assert set(wide["panel"]) == set(panels)
    assert {"L0", "L1", "L2"} <= set(wide.columns)  # one value column per lap
    legend = spec["spec"]["layer"][0]["encoding"]["color"]["legend"]["labelExpr"]
    assert all(label in legend for label in aligned["label"].unique())
    zoomed = charts.stack_chart(
        aligned, channels=["speed_kmh"], axis="distance", window=(500.0, 900.0)
    ).to_dict()
    assert zoomed["spec"]["layer"][0]["encoding"]["x"]["scale"]["domain"] == [500.0, 900.0]


def test_speed_map_zooms_on_the_window(aligned: pl.DataFrame) -> None:
    lap = aligned.filter(pl.col("is_reference"))
    whole = charts.speed_map_chart(lap).to_dict()
    zoomed = charts.speed_map_chart(lap, window=(100.0, 300.0)).to_dict()
    assert whole["encoding"]["color"]["field"] == "speed_kmh"
    x, y = whole["encoding"]["x"]["scale"]["domain"], whole["encoding"]["y"]["scale"]["domain"]
    assert abs((x[1] - x[0]) - (y[1] - y[0])) < 1e-6  # same span: the track keeps its shape
    zx = zoomed["encoding"]["x"]["scale"]["domain"]
    assert zx[1] - zx[0] < (x[1] - x[0]) / 2
    flagged = _data(charts.speed_map_chart(lap, window=(100.0, 300.0))).filter("in_window")
    assert flagged["x"].min() >= 100 and flagged["x"].max() <= 300 and flagged.height > 0


def test_gg_histograms_and_sectors(con: duckdb.DuckDBPyConnection, aligned: pl.DataFrame) -> None:
    gg = charts.gg_chart(dash.gg_points(aligned, None))
    spec = gg.to_dict()
    assert (spec["encoding"]["x"]["field"], spec["encoding"]["y"]["field"]) == (
        "g_lateral",
        "g_longitudinal",
    )
    assert spec["encoding"]["color"]["field"] == "speed_kmh" and _data(gg).height > 100
    histograms = charts.histograms_chart(aligned)
    titles = [c.title for c in histograms.hconcat]
    assert titles == ["throttle (%)", "brake (%)", "speed (km/h)"]
    for sub in histograms.hconcat:
        shares = _data(sub).group_by("label").agg(pl.col("share").sum())["share"]
        assert all(abs(v - 100) < 1e-6 for v in shares)  # each lap's time sums to 100 %
    circuit = read_telemetry_laps(con, track="pitwall_ring", layout="gp")
    shown = dash.selected_laps(
        circuit,
        [dash.lap_key(HOTLAP, 0, "guid-dana", 3)],
        reference=dash.lap_key(HOTLAP, 0, "guid-dana", 4),
    )
    times, _ = dash.sector_summary(con, shown, lines=[1 / 3, 2 / 3])
    sectors = charts.sectors_chart(times, laps=shown)
    sectors.to_dict()
    assert set(_data(sectors)["sector"]) == {"S1", "S2", "S3"}


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
    spec = laps.to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["line", "circle", "point"]
    assert "strokeDash" not in spec["layer"][0]["encoding"]  # one line per driver, all laps
    assert _data(laps)["lap_time_s"].max() < 60
    assert all(":" in t for t in _data(laps)["time"])


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
    spec = ingestion.to_dict()
    assert _params(spec) == {"source"}
    assert set(_data(ingestion)["outcome"]) == {"landed", "quarantined"}
    assert "lap_times/round1.csv" in set(_data(ingestion)["label"])
    # quarantined rows get their own bar beside the landed ones, on a scale that shows 3 of 120
    bars, counts = spec["layer"]
    assert bars["encoding"]["yOffset"]["field"] == "outcome"
    assert bars["encoding"]["x"]["scale"]["type"] == "symlog"
    assert counts["mark"]["type"] == "text"
    round1 = _data(ingestion).filter(pl.col("label") == "lap_times/round1.csv")
    assert dict(zip(round1["outcome"], round1["rows"], strict=True)) == {
        "landed": 117,
        "quarantined": 3,
    }
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
