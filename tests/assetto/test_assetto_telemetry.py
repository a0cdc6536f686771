"""CLEAN ``ac_telemetry`` keeps every channel the game sends: per-wheel columns, documented."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from deltalake import DeltaTable
from telemetry_capture.fake_game import FakeGame, GameSetup
from telemetry_capture.game_protocol import RT_CAR_INFO_FIELDS, decode_rt_car_info

from pitwall.assetto.clean import game_telemetry
from pitwall.assetto.telemetry import CHANNELS, WHEELS, column_docs, comment_delta_columns
from pitwall.lake.delta import write_table
from tests.conftest import REPO_ROOT

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
# RAW fields CLEAN keeps as key columns (lap_time_ms, normalized_pos), and those it does not
# keep (see docs/telemetry.md)
KEYS = {"lap_time", "car_position_normalized"}
NOT_KEPT = {"identifier", "size", "speed_mph", "speed_ms", "lap_count"}


@pytest.fixture(scope="module")
def raw_cars() -> pl.DataFrame:
    """RAW rows as the capture daemon writes them, from the fake game's real datagrams."""
    game = FakeGame(bind=("127.0.0.1", 0), setup=GameSetup(track_name="ks_monza", skill=1))
    try:
        packets = game.car_infos(np.arange(0.0, 260.0, 0.25))
    finally:
        game.sock.close()
    rows = []
    for i, packet in enumerate(packets):
        row = decode_rt_car_info(packet)
        row.update(capture_id="g", received_at=T0 + timedelta(milliseconds=5 * i))
        rows.append(row)
    return pl.DataFrame(rows)


def _sessions() -> pl.DataFrame:
    return pl.DataFrame({"capture_id": ["g"], "started_at": [T0], "session_id": ["g#1"]})


def test_every_raw_channel_has_a_clean_column(raw_cars: pl.DataFrame) -> None:
    sources = {c.source for c in CHANNELS}
    raw_fields = {name for name, *_ in RT_CAR_INFO_FIELDS}
    assert raw_fields - sources - KEYS == NOT_KEPT
    telemetry = game_telemetry(raw_cars, _sessions())
    assert telemetry.columns == list(column_docs())
    assert telemetry.height == raw_cars.height


def test_wheel_arrays_become_four_columns_in_wheel_order(raw_cars: pl.DataFrame) -> None:
    telemetry = game_telemetry(raw_cars, _sessions()).sort("ts")
    raw = raw_cars.sort("received_at")
    for source, column in (("load", "tyre_load"), ("suspension_height", "suspension_travel")):
        for i, wheel in enumerate(WHEELS):
            want = raw[source].list.get(i).cast(pl.Float64)
            assert telemetry[f"{column}_{wheel}"].to_list() == pytest.approx(want.to_list())
    # physics the columns carry: rear loads under acceleration, rolling wheels
    fast = telemetry.filter(pl.col("speed_kmh") > 100)
    radius = fast["tyre_loaded_radius_fl"]
    rolling = fast["speed_kmh"] / 3.6 / radius
    assert (fast["wheel_speed_fl"] / rolling).median() == pytest.approx(1.0, abs=0.03)
    assert telemetry["gear"].min() >= 1 and telemetry["gear"].max() <= 6  # -1 from AC's numbering
    assert telemetry["in_pit"].dtype == pl.Boolean and telemetry["in_pit"][0]  # an out-lap
    g = telemetry.select("g_lateral", "g_longitudinal").to_numpy()
    assert np.abs(g).max() < 3.5 and np.abs(g[:, 0]).max() > 1.0


def test_a_raw_frame_without_some_fields_gives_null_columns(raw_cars: pl.DataFrame) -> None:
    old = raw_cars.drop("load", "nd_slip")
    telemetry = game_telemetry(old, _sessions())
    assert telemetry.columns == list(column_docs())
    assert telemetry["tyre_load_rr"].is_null().all() and telemetry["nd_slip_fl"].is_null().all()
    assert telemetry["slip_ratio_rl"].is_not_null().all()


def test_the_doc_table_lists_every_column_with_its_unit() -> None:
    text = (REPO_ROOT / "docs" / "telemetry.md").read_text()
    documented: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([^`]+)`", cells[0])
        if len(names) == 4 and names[1:] == ["_fr", "_rl", "_rr"]:
            names = [f"{names[0].removesuffix('_fl')}_{w}" for w in WHEELS]
        for name in names:
            documented[name] = cells[1]
    assert documented == {name: unit for name, (unit, _) in column_docs().items()}


def test_column_comments_go_into_the_delta_schema_once(
    raw_cars: pl.DataFrame, tmp_path: Path
) -> None:
    uri = str(tmp_path / "ac_telemetry")
    write_table(game_telemetry(raw_cars.head(20), _sessions()), uri)
    changed = comment_delta_columns(uri)
    assert set(changed) == set(column_docs())
    fields = {f.name: f.metadata for f in DeltaTable(uri).schema().fields}
    assert fields["tyre_load_fl"]["comment"] == "vertical load on the tyre, FL wheel (N)"
    assert fields["speed_kmh"]["comment"] == "speed (km/h)"
    version = DeltaTable(uri).version()
    assert comment_delta_columns(uri) == [] and DeltaTable(uri).version() == version
