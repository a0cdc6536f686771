"""The reference editor's sector map: the circuit's fastest telemetry lap as an outline, the
typed sector lines placed on it, a click read back as a distance from the line."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pitwall.dashboards import charts
from pitwall.dashboards import ref_editor as ed
from pitwall.queries import read_telemetry_laps


def test_the_outline_is_the_fastest_counted_lap_in_distance_order(
    con: duckdb.DuckDBPyConnection,
) -> None:
    outline = ed.read_lap_outline(con, "pitwall_ring", layout="gp")
    assert outline.columns == ["distance_m", "x", "z"] and outline.height > 100
    assert outline.height <= ed.OUTLINE_POINTS
    assert outline.get_column("distance_m").is_sorted()
    fastest = (
        read_telemetry_laps(con, track="pitwall_ring", layout="gp")
        .filter("counted")
        .sort("lap_time_ms")
        .row(0, named=True)
    )
    [(samples, lap_m)] = con.execute(
        "SELECT count(*), max(distance_m) FROM clean.ac_telemetry "
        "WHERE session_id = $s AND car_id = $c AND lap_number = $n",
        {"s": fastest["session_id"], "c": fastest["car_id"], "n": fastest["lap_number"]},
    ).fetchall()
    assert outline.height == min(samples, outline.height)
    assert outline.get_column("distance_m").max() == pytest.approx(lap_m, rel=0.01)
    assert ed.read_lap_outline(con, "pitwall_ring").height == outline.height  # any layout
    assert ed.read_lap_outline(con, "nowhere").is_empty()
    assert ed.read_lap_outline(con, " ").is_empty()


def test_typed_lines_fall_on_the_outline_and_a_click_reads_back(
    con: duckdb.DuckDBPyConnection,
) -> None:
    outline = ed.read_lap_outline(con, "pitwall_ring", layout="gp")
    marks = ed.sector_marks(outline, [1200.0, 600.0, 99_999.0])  # any order; one off the lap
    assert marks.get_column("label").to_list() == ["S1 | S2", "S2 | S3"]
    assert marks.get_column("distance_m").to_list() == [600.0, 1200.0]
    for line in marks.iter_rows(named=True):
        nearest = outline.filter(
            (pl.col("distance_m") - line["distance_m"]).abs()
            == (pl.col("distance_m") - line["distance_m"]).abs().min()
        ).row(0, named=True)
        assert (line["x"], line["z"]) == (nearest["x"], nearest["z"])
    assert ed.sector_marks(outline, []).is_empty()
    spec = charts.sector_lines_chart(outline, marks).to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["circle", "point", "text"]
    params = [*spec.get("params", []), *spec["layer"][0].get("params", [])]
    assert [p["name"] for p in params] == [charts.track.SPOT_PICK]
    clicked = {"spot": {"distance_m": [812.0], "vlPoint": {"or": [{"distance_m": 812.0}]}}}
    assert ed.picked_distance(clicked) == 812.0
    assert ed.picked_distance({}) is None and ed.picked_distance({"spot": {}}) is None
