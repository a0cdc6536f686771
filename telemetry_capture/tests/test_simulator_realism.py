"""The simulators drive real circuits realistically: GT3 lap times per circuit, laps that differ,
and every channel within physical bounds (the cars are what the fake game and server send)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from telemetry_capture.circuit import Circuit, DrivenCar
from telemetry_capture.driving import FIELD, LapSpec, plan_laps
from telemetry_capture.fake_game import FakeGame, GameSetup
from telemetry_capture.game_protocol import decode_rt_car_info
from telemetry_capture.track import CIRCUITS, load_track

# Flying laps of a GT3 field in Assetto Corsa (seconds): the ranges for Monza and Spa,
# and about +-2 % around typical AC GT3 lap times elsewhere.
LAP_RANGES = {
    "ks_monza": (107.0, 110.0),
    "spa": (136.0, 140.0),
    "ks_silverstone": (115.0, 121.0),
    "ks_nurburgring": (111.0, 116.0),
    "ks_red_bull_ring": (86.0, 91.0),
    "ks_zandvoort": (94.5, 99.0),
    "ks_brands_hatch": (80.0, 84.5),
    "suzuka": (116.0, 122.0),
}
MISTAKE_COST_S = 1.5  # a mistake may push a lap above the range by at most this much


def _field_laps(track: str, laps: int = 6, seed: int = 1) -> list[list]:
    plans = plan_laps(
        load_track(track),
        [
            LapSpec("flying", skill, (seed, d, k))
            for d, skill in enumerate(FIELD)
            for k in range(laps)
        ],
    )
    return [plans[i * laps : (i + 1) * laps] for i in range(len(FIELD))]


def test_every_shipped_circuit_is_a_real_length() -> None:
    expected_km = {"ks_monza": 5.79, "spa": 7.0, "ks_brands_hatch": 3.91, "suzuka": 5.81}
    for track in CIRCUITS:
        length = load_track(track).length
        assert 3800 < length < 7100, track
    for track, km in expected_km.items():
        # the race line cuts the corners: a little shorter than the official centre line
        assert load_track(track).length / 1000 == pytest.approx(km, rel=0.015), track


@pytest.mark.parametrize("track", sorted(LAP_RANGES))
def test_gt3_lap_times_are_in_range_and_differ_from_lap_to_lap(track: str) -> None:
    low, high = LAP_RANGES[track]
    field = _field_laps(track)
    for driver, laps in enumerate(field):
        clean = [lap.seconds for lap in laps if not lap.mistakes and not lap.cuts]
        every = [lap.seconds for lap in laps]
        assert all(low <= s <= high for s in clean), (driver, clean)
        assert all(low - 1.0 <= s <= high + MISTAKE_COST_S for s in every), (driver, every)
        assert np.std(every) > 0.01, driver  # no two laps alike
    means = [np.mean([lap.seconds for lap in laps]) for laps in field]
    assert means[0] < means[-1] - 0.8  # the fastest driver is clearly faster than the slowest


def test_mistakes_cost_time_and_cuts_gain_it() -> None:
    track = load_track("ks_monza")
    skill = FIELD[2]
    clean_only = plan_laps(
        track,
        [LapSpec("flying", replace(skill, mistake_rate=0, cut_rate=0), (3, k)) for k in range(12)],
    )
    risky = plan_laps(
        track,
        [LapSpec("flying", replace(skill, mistake_rate=1, cut_rate=0), (3, k)) for k in range(12)],
    )
    cutting = plan_laps(
        track,
        [LapSpec("flying", replace(skill, mistake_rate=0, cut_rate=1), (3, k)) for k in range(12)],
    )
    clean = np.mean([lap.seconds for lap in clean_only])
    assert np.mean([lap.seconds for lap in risky]) > clean + 0.1
    assert np.mean([lap.seconds for lap in cutting]) < clean
    assert all(lap.cuts >= 1 for lap in cutting) and all(lap.cuts == 0 for lap in clean_only)
    assert all(len(lap.mistakes) == 1 for lap in risky)


def test_the_same_seed_drives_the_same_laps_however_they_are_batched() -> None:
    track = load_track("ks_red_bull_ring")
    specs = [LapSpec("flying", FIELD[k % 8], (11, 1, k % 8, k // 8)) for k in range(16)]
    together = plan_laps(track, specs)
    alone = [plan_laps(track, [spec])[0] for spec in specs[::5]]
    assert [lap.lap_ms for lap in together[::5]] == [lap.lap_ms for lap in alone]
    assert len({lap.lap_ms for lap in together}) == 16
    server = DrivenCar(Circuit("ks_red_bull_ring"), skill=FIELD[2], seed=(11, 1, 2))
    game = DrivenCar(Circuit("ks_red_bull_ring"), skill=FIELD[2], seed=(11, 1, 2))
    server.plan_until(500)
    game.plan_until(100)
    game.plan_until(500)
    assert [lap.lap_ms for lap in server.laps[:5]] == [lap.lap_ms for lap in game.laps[:5]]


def test_a_standing_start_and_an_out_lap_are_slower_than_flying_laps() -> None:
    car = DrivenCar(Circuit("ks_monza"), skill=FIELD[0], start="standing")
    car.plan_until(400)
    flying = min(lap.seconds for lap in car.laps[1:])
    assert car.laps[0].kind == "standing" and car.laps[0].seconds > flying + 3
    out = DrivenCar(Circuit("ks_monza"), skill=FIELD[0], start="out")
    out.plan_until(1)
    assert out.laps[0].seconds > flying + 5 and out.laps[0].pit_until_m > 0


def _channels(track: str, *, seconds: float = 400.0, hz: float = 50.0) -> dict[str, np.ndarray]:
    car = DrivenCar(Circuit(track), skill=FIELD[5], start="standing", seed=(5,))
    return car.channels(np.arange(0.0, seconds, 1 / hz)) | {"_hz": np.array([hz])}


@pytest.mark.parametrize("track", ["ks_monza", "spa"])
def test_channels_stay_within_physical_bounds(track: str) -> None:
    c = _channels(track)
    kmh = c["speed_kmh"]
    assert kmh.min() >= 0 and 240 < kmh.max() < 300
    assert np.allclose(c["speed_ms"] * 3.6, kmh) and np.allclose(c["speed_mph"] * 1.609344, kmh)
    for pedal in ("gas", "brake", "clutch"):
        assert c[pedal].min() >= 0 and c[pedal].max() <= 1, pedal
    assert ((c["gas"] == 0) | (c["brake"] == 0)).all()  # never both pedals
    assert c["brake"].max() > 0.8 and (c["gas"] == 1).mean() > 0.3
    assert np.abs(c["acc_g_horizontal"]).max() < 3.0 and np.abs(c["acc_g_horizontal"]).max() > 1.5
    assert -3.2 < c["acc_g_frontal"].min() < -1.5 and 0.3 < c["acc_g_frontal"].max() < 1.6
    assert np.abs(c["acc_g_vertical"]).max() < 1.0
    assert set(np.unique(c["gear"])) <= set(range(2, 8))  # AC: 2 = first ... 7 = sixth
    assert c["engine_rpm"].min() >= 2000 and c["engine_rpm"].max() <= 8000
    assert np.abs(c["steer"]).max() < 360  # steering wheel degrees
    load = c["load"]
    assert load.shape[1] == 4 and load.min() >= 0 and load.max() < 15_000
    assert 2_000 < np.median(load) < 7_000  # newtons per wheel
    assert c["suspension_height"].min() >= 0 and c["suspension_height"].max() < 0.12
    assert np.abs(c["slip_angle"]).max() < 15 and np.abs(c["slip_ratio"]).max() < 0.5
    assert (c["tyre_loaded_radius"] < c["tyre_radius"]).all()
    assert c["dy"].min() > 1.0 and c["dy"].max() < 2.0
    assert np.abs(c["camber_rad"]).max() < 0.15
    # wheels turn at the car's speed over their loaded radius (plus slip)
    rolling = c["speed_ms"][:, None] / c["tyre_loaded_radius"]
    moving = c["speed_ms"] > 10
    ratio = c["wheel_angular_speed"][moving] / rolling[moving]
    assert np.median(ratio) == pytest.approx(1.0, abs=0.02) and np.abs(ratio - 1).max() < 0.4
    norm = c["car_position_normalized"]
    assert norm.min() >= 0 and norm.max() < 1
    # the position moves by speed x time between samples
    xyz = c["car_coordinates"]
    step = np.linalg.norm(np.diff(xyz, axis=0), axis=1)
    same = np.diff(c["lap_count"]) == 0
    expected = (c["speed_ms"][1:] + c["speed_ms"][:-1]) / 2 / c["_hz"][0]
    assert np.median(step[same] / np.maximum(expected[same], 1e-6)) == pytest.approx(1.0, abs=0.03)
    # the lap clock: lap_time resets when lap_count steps, last_lap is the lap just done
    steps = np.flatnonzero(np.diff(c["lap_count"]))
    assert len(steps) >= 2 and (c["lap_time"][steps + 1] < c["lap_time"][steps]).all()
    assert (c["last_lap"][steps + 1] > 80_000).all()


def test_a_cut_takes_the_car_off_the_track() -> None:
    track = load_track("ks_monza")
    skill = FIELD[3]
    [lap] = plan_laps(
        track,
        [LapSpec("flying", replace(skill, cut_rate=1, mistake_rate=0), (9,))],
    )
    edge = np.where(lap.offset > 0, track.width_left, track.width_right)
    assert lap.cuts >= 1 and (np.abs(lap.offset) > edge + 0.5).any()
    assert lap.dirt.max() > 1.0  # dirty tyres after the grass


def test_the_game_sends_what_the_car_does() -> None:
    game = FakeGame(bind=("127.0.0.1", 0), setup=GameSetup(track_name="spa", skill=2))
    try:
        packets = game.car_infos(np.arange(0.0, 200.0, 0.5))
    finally:
        game.sock.close()
    decoded = [decode_rt_car_info(p) for p in packets]
    assert all(len(p) == 328 for p in packets)
    speeds = np.array([d["speed_kmh"] for d in decoded])
    assert speeds.max() > 240 and decoded[0]["is_in_pit"]  # a practice starts in the pit lane
    laps = {d["lap_count"] for d in decoded}
    assert laps == {0, 1}  # the out-lap, then the first flying lap
    assert all(len(d["load"]) == 4 for d in decoded)
