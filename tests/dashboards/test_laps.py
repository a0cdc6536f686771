"""Lap analysis: telemetry laps across sessions, reference picks, laps aligned on one axis with
their delta, the cursor readout, sector times and the theoretical best."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pitwall import dashboards as dash
from pitwall.queries import read_sector_times, read_telemetry_laps
from tests.dashboards.fixture_lake import HOTLAP, HOTLAP2


def _progress(lap: int, seconds: tuple[float, float, float], *, start: float = 0.0) -> pl.DataFrame:
    """A lap sampled every 1 % of the track, time linear within each third (given seconds)."""
    bounds = [0.0, seconds[0], seconds[0] + seconds[1], sum(seconds)]
    rows = []
    for i in range(100):
        pos = i / 100
        third = min(int(pos * 3), 2)
        t = bounds[third] + (pos - third / 3) * 3 * seconds[third]
        if pos >= start:
            rows.append(
                {
                    "session_id": "s",
                    "car_id": 0,
                    "lap_number": lap,
                    "lap_time_ms": round(t * 1000),
                    "normalized_pos": pos,
                }
            )
    return pl.DataFrame(rows)


def _telemetry(progress: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    """A DuckDB with ``clean.ac_telemetry`` holding the samples (``ts`` in clock order)."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA clean")
    samples = progress.with_columns(  # noqa: F841 (read by DuckDB's replacement scan)
        (pl.datetime(2026, 1, 1) + pl.duration(milliseconds=pl.col("lap_time_ms"))).alias("ts")
    )
    con.execute("CREATE TABLE clean.ac_telemetry AS SELECT * FROM samples")
    return con


def _sectors_of_one_lap(rows: list[tuple[int, float]], *, lines: list[float]) -> list[float]:
    """The sector times of a 30 s lap sampled at ``(lap_time_ms, normalized_pos)`` rows."""
    progress = pl.DataFrame(
        {
            "session_id": "s",
            "car_id": 0,
            "lap_number": 1,
            "lap_time_ms": [t for t, _ in rows],
            "normalized_pos": [p for _, p in rows],
        }
    )
    laps = pl.DataFrame({"session_id": "s", "car_id": 0, "lap_number": [1], "lap_time_ms": 30_000})
    return read_sector_times(_telemetry(progress), laps, lines=lines)["sector_ms"].to_list()


def test_sector_times_split_at_the_lines_and_end_at_the_official_time() -> None:
    progress = pl.concat([_progress(1, (10, 10, 10)), _progress(2, (10, 5, 10))])
    laps = pl.DataFrame(
        {"session_id": "s", "car_id": 0, "lap_number": [1, 2], "lap_time_ms": [30_000, 25_000]}
    )
    times = read_sector_times(_telemetry(progress), laps, lines=[1 / 3, 2 / 3])
    by_lap = {
        lap: part.sort("sector")["sector_ms"].to_list()
        for (lap,), part in times.partition_by("lap_number", as_dict=True).items()
    }
    # interpolated between samples 1 % of the lap apart: within 0.1 s at a change of pace
    assert by_lap[1] == pytest.approx([10_000, 10_000, 10_000], abs=1)
    assert by_lap[2] == pytest.approx([10_000, 5_000, 10_000], abs=100)
    assert sum(by_lap[2]) == pytest.approx(25_000)


def test_a_line_the_telemetry_missed_gives_no_sector_time() -> None:
    late = _progress(1, (10, 10, 10), start=0.4)  # captured from 40 % of the lap on
    laps = pl.DataFrame(
        {"session_id": "s", "car_id": 0, "lap_number": [1, 7], "lap_time_ms": [30_000, 31_000]}
    )
    times = read_sector_times(_telemetry(late), laps, lines=[1 / 3, 2 / 3]).sort("sector")
    assert times["lap_number"].to_list() == [1, 1, 1]  # lap 7 has no telemetry: not timed
    assert times["sector_ms"][0] is None and times["sector_ms"][1] is None
    assert times["sector_ms"][2] == pytest.approx(10_000, abs=50)


def test_a_lap_starting_just_before_the_line_and_a_sample_going_back_are_read_in_order() -> None:
    """The first samples still read ~1 (the car is before the line): they come before 0. A
    sample whose position goes back (GPS-like jitter) does not cross a line twice."""
    rows = [
        (0, 0.998), (500, 0.999), (1_000, 0.01), (10_000, 0.30), (11_000, 0.36),
        (11_500, 0.33), (12_000, 0.40), (20_000, 0.70), (29_000, 0.99), (30_000, 0.999),
    ]  # fmt: skip
    times = _sectors_of_one_lap(rows, lines=[0.35, 0.7])
    # 0.35 between (10 s, 0.30) and (11 s, 0.36): 10.833 s; 0.7 exactly at 20 s
    assert times == pytest.approx([10_833.33, 9_166.67, 10_000], abs=0.01)


def test_samples_at_the_same_clock_are_one_instant_the_furthest() -> None:
    """Two samples stamped 11 s into the lap, one short of the line and one past it: the line
    is crossed between 10 s and that instant, at its furthest position."""
    rows = [
        (0, 0.0), (10_000, 0.30), (11_000, 0.34), (11_000, 0.36), (20_000, 0.70), (30_000, 0.99),
    ]  # fmt: skip
    times = _sectors_of_one_lap(rows, lines=[0.35, 0.7])
    assert times == pytest.approx([10_833.33, 9_166.67, 10_000], abs=0.01)


def test_telemetry_sessions_newest_first_with_driver_and_best(
    con: duckdb.DuckDBPyConnection,
) -> None:
    sessions = dash.read_telemetry_sessions(con)
    assert sessions["session_id"].to_list() == [HOTLAP2, HOTLAP]
    assert sessions["driver_name"].to_list() == ["Eve", "Dana"]
    assert set(sessions["layout"]) == {"gp"}  # Remote Telemetry has no layout: the server's
    dana = sessions.row(1, named=True)
    assert "Dana" in dana["label"] and "4 laps" in dana["label"]


def test_session_laps_and_the_default_comparison(con: duckdb.DuckDBPyConnection) -> None:
    laps = dash.read_session_laps_with_telemetry(con, HOTLAP)
    assert laps["lap_number"].to_list() == [1, 2, 3, 4]  # complete laps only
    labels = dict(zip(laps["lap_number"], laps["label"], strict=True))
    assert labels[2].endswith("· invalid")
    assert labels[3] == f"L3 · {dash.format_lap_time(laps['lap_time_ms'][2])}"
    fastest = laps.filter(pl.col("counted")).sort("lap_time_ms")["key"].head(2).to_list()
    assert dash.default_lap_keys(laps) == fastest
    assert list(dash.lap_choices(laps).values()) == laps["key"].to_list()


def test_reference_choices_offer_the_bests_of_every_kind(con: duckdb.DuckDBPyConnection) -> None:
    circuit = read_telemetry_laps(con, track="pitwall_ring", layout="gp")
    dana_best = circuit.filter(pl.col("driver_name") == "Dana", pl.col("counted")).sort(
        "lap_time_ms"
    )["lap_number"][0]
    eve_best = circuit.filter(pl.col("driver_name") == "Eve").sort("lap_time_ms")["lap_number"][0]
    options = dash.reference_choices(circuit, session_id=HOTLAP2, driver_key="guid-eve")
    labels, keys = list(options), list(options.values())
    assert labels[0].startswith("All-time best") and keys[0] == dash.lap_key(
        HOTLAP, 0, "guid-dana", dana_best
    )
    assert labels[1].startswith("Session best") and keys[1] == dash.lap_key(
        HOTLAP2, 0, "guid-eve", eve_best
    )
    assert labels[2].startswith("Personal best") and keys[2] == keys[1]
    assert len(set(keys)) == circuit.height  # every lap on the circuit can be the reference
    assert any("invalid" in label for label in labels)


@pytest.fixture
def shown(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    circuit = read_telemetry_laps(con, track="pitwall_ring", layout="gp")
    return dash.selected_laps(
        circuit,
        [
            dash.lap_key(HOTLAP2, 0, "guid-eve", 2),
            dash.lap_key(HOTLAP2, 0, "guid-eve", 3),
            dash.lap_key(HOTLAP, 0, "guid-dana", 3),
        ],
        reference=dash.lap_key(HOTLAP, 0, "guid-dana", 3),
    )


def test_selected_laps_show_the_reference_once_and_label_every_lap(shown: pl.DataFrame) -> None:
    assert shown["is_reference"].to_list() == [False, False, True]
    assert shown["label"].n_unique() == 3 and shown["label"][2].startswith("Ref · L3")
    assert shown["driver_name"].to_list() == ["Eve", "Eve", "Dana"]


def test_laps_aligned_on_track_position_with_the_delta_to_the_reference(
    con: duckdb.DuckDBPyConnection, shown: pl.DataFrame
) -> None:
    samples = dash.read_lap_set(con, shown, channels=["speed_kmh", "throttle", "g_lateral"])
    aligned = dash.align_laps(samples, axis="distance", channels=["speed_kmh", "throttle"])
    grids = aligned.group_by("label").agg(pl.col("x").min().alias("first"))
    assert grids["first"].to_list() == [0.0] * 3  # one shared axis, every lap from the line
    ref = aligned.filter(pl.col("is_reference"))
    assert ref["delta_s"].abs().max() < 1e-9
    times = dict(zip(shown["label"], shown["lap_time_ms"], strict=True))
    ref_ms = times[ref["label"][0]]
    for label, lap in (
        aligned.filter(~pl.col("is_reference")).partition_by("label", as_dict=True).items()
    ):
        end = lap.sort("x")["delta_s"].drop_nulls()[-1] * 1000
        assert end == pytest.approx(times[label[0]] - ref_ms, abs=150)  # + = slower
        assert end > 0
    by_time = dash.align_laps(samples, axis="time", channels=["speed_kmh"])
    slowest = by_time.group_by("label").agg(pl.col("x").max())["x"].max()
    assert slowest == pytest.approx(max(times.values()) / 1000, abs=0.1)


def test_the_cursor_reads_every_channel_of_every_lap(
    con: duckdb.DuckDBPyConnection, shown: pl.DataFrame
) -> None:
    samples = dash.read_lap_set(con, shown, channels=["speed_kmh", "brake"])
    aligned = dash.align_laps(samples, axis="distance", channels=["speed_kmh", "brake"])
    here = dash.cursor_readout(aligned, at=500.0, channels=["speed_kmh", "brake"])
    there = dash.cursor_readout(aligned, at=1200.0, channels=["speed_kmh", "brake"])
    assert here.columns == ["channel", *shown["label"].to_list()]
    assert here["channel"].to_list() == [
        "speed (km/h)", "brake", "lap time", "track position (m)", "Δt vs ref (s)"
    ]  # fmt: skip
    assert here.row(0) != there.row(0)
    lap_time = here.filter(pl.col("channel") == "lap time").row(0)[1:]
    assert all(":" in value for value in lap_time)  # m:ss.mmm, never a raw float
    delta = here.filter(pl.col("channel") == "Δt vs ref (s)").row(0)
    assert delta[-1] == "+0.000" and all(v[0] in "+-" for v in delta[1:])
    assert dash.nearest_x(aligned, 501.7) == 500.0


def test_window_gg_points_and_lap_summary(
    con: duckdb.DuckDBPyConnection, shown: pl.DataFrame
) -> None:
    samples = dash.read_lap_set(con, shown, channels=["speed_kmh", "g_lateral", "g_longitudinal"])
    aligned = dash.align_laps(
        samples, axis="distance", channels=["speed_kmh", "g_lateral", "g_longitudinal"]
    )
    assert dash.window_from(pl.DataFrame()) is None
    window = dash.window_from(pl.DataFrame({"x": [400.0, 800.0, 600.0]}))
    assert window == (400.0, 800.0)
    inside = dash.gg_points(aligned, window)
    assert 0 < inside.height < dash.gg_points(aligned, None).height
    summary = dash.lap_summary(shown, aligned, window=window)
    assert summary["vs ref"].to_list()[-1] == "+0.000"
    assert all(v.startswith("+") for v in summary["vs ref"].to_list()[:2])
    assert all(":" in v for v in summary["stretch"].to_list())


def test_sector_summary_adds_up_and_gives_the_theoretical_best(
    con: duckdb.DuckDBPyConnection, shown: pl.DataFrame
) -> None:
    times, table = dash.sector_summary(con, shown, lines=[1 / 3, 2 / 3])
    totals = times.group_by("label").agg(pl.col("sector_ms").sum())
    official = dict(zip(shown["label"], shown["lap_time_ms"], strict=True))
    for label, total in totals.iter_rows():
        assert total == pytest.approx(official[label], abs=1)
    assert table.columns == ["lap", "S1", "S2", "S3"]
    best_row = table.row(-1, named=True)
    assert best_row["lap"].startswith("theoretical best ")
    best = times.group_by("sector").agg(pl.col("sector_ms").min()).sort("sector")
    assert best_row["lap"].endswith(dash.format_lap_time(best["sector_ms"].sum()))


def test_available_channels_and_titles(con: duckdb.DuckDBPyConnection) -> None:
    channels = dash.available_channels(con)
    assert {"speed_kmh", "throttle", "g_lateral", "rpm"} <= set(channels)
    assert "lap_time_ms" not in channels and "x" not in channels
    assert dash.channel_title("speed_kmh") == "speed (km/h)"
    assert dash.channel_title("tyre_load_fl") == "vertical load on the tyre, FL wheel (N)"
    assert dash.channel_title("my_math") == "my_math"


def test_one_call_reads_aligns_and_adds_math_channels(con: duckdb.DuckDBPyConnection) -> None:
    circuit = read_telemetry_laps(con, track="pitwall_ring", layout="gp")
    math = "speed_ms = speed_kmh / 3.6\nbad = pl.col('nope') * 2"
    options, problems = dash.channel_options(con, math)
    assert {"speed_ms", "bad", "speed_kmh"} <= set(options) and problems == []
    analysis = dash.analyse_laps(
        con,
        circuit,
        keys=[dash.lap_key(HOTLAP2, 0, "guid-eve", 2)],
        reference=dash.lap_key(HOTLAP, 0, "guid-dana", 3),
        axis="distance",
        channels=["speed_kmh", "speed_ms", "bad", "rpm"],
        math=math,
    )
    assert analysis.shown.height == 2
    assert analysis.plotted == ["speed_kmh", "speed_ms", "rpm"]  # "bad" could not be computed
    assert analysis.problems == ["bad: unknown channel 'nope'"]
    ratio = (analysis.aligned["speed_kmh"] / analysis.aligned["speed_ms"]).drop_nans().drop_nulls()
    assert ratio.min() == pytest.approx(3.6) and ratio.max() == pytest.approx(3.6)
    broken = dash.analyse_laps(
        con, circuit, keys=[], reference=None, axis="time", channels=["speed_kmh"], math="= x"
    )
    assert broken.aligned.is_empty() and broken.problems and "line 1" in broken.problems[0]
    assert dash.parse_sector_lines("0.3; 0.6,") == [0.3, 0.6]
    with pytest.raises(ValueError):
        dash.parse_sector_lines("a third")
