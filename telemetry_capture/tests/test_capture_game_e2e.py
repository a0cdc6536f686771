"""Game mode over real UDP: fake game -> capture daemon (CLI subprocess) -> Parquet."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from capture_helpers import hidden_leftovers, read_kind, start_cli, stop_cli, wait_for
from telemetry_capture.fake_game import FakeGame, GameSetup


def _serve(game: FakeGame) -> threading.Thread:
    thread = threading.Thread(target=game.run, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def game() -> FakeGame:
    # Brands Hatch, the shortest circuit: an out-lap and two laps in ~6 s of wall time
    setup = GameSetup(
        time_scale=45.0, rate_hz=60.0, driver_name="Zoë Test", track_name="ks_brands_hatch"
    )
    return FakeGame(bind=("127.0.0.1", 0), setup=setup)


def test_game_session_is_captured_completely_and_consistently(
    tmp_path: Path, game: FakeGame
) -> None:
    thread = _serve(game)
    out = tmp_path / "game"
    proc = start_cli(
        "game", "--game", f"127.0.0.1:{game.address[1]}", "--out", str(out), "--status", "never"
    )
    wait_for(lambda: game.counters.laps_sent >= 3, timeout=60, what="three laps")
    game.stop()
    thread.join()
    summary = stop_cli(proc)

    cars = read_kind(out, "rt_car_info")
    laps = read_kind(out, "rt_lap")
    hands = read_kind(out, "handshake_response")
    # nothing lost, nothing doubled
    assert cars.num_rows == game.counters.updates_sent == summary["rows"]["rt_car_info"]
    assert laps.num_rows == game.counters.laps_sent
    assert laps.column("time").to_pylist() == game.counters.sent_laps
    assert summary["quarantined"] == 0 and summary["received"] == summary["decoded"]
    assert hands.num_rows == 2  # one per socket (update + spot)
    assert set(hands.column("driver_name").to_pylist()) == {"Zoë Test"}
    assert set(hands.column("track_config").to_pylist()) == {"ks_brands_hatch"}
    assert hidden_leftovers(out) == []
    # every row is stamped and attributed
    assert set(cars.column("source").to_pylist()) == {f"127.0.0.1:{game.address[1]}"}
    assert len(set(cars.column("capture_id").to_pylist())) == 1
    stamps = cars.column("received_at").cast("int64").to_numpy()
    assert (np.diff(stamps) >= 0).all()

    frame = {c: cars.column(c).to_numpy(zero_copy_only=False) for c in cars.column_names}
    # lap counting: lap_count steps by one exactly where lap_time resets, last_lap = RTLap time
    lap_count = frame["lap_count"]
    steps = np.flatnonzero(np.diff(lap_count))
    assert (np.diff(lap_count)[steps] == 1).all()
    assert (frame["lap_time"][steps + 1] < frame["lap_time"][steps]).all()
    assert set(laps.column("time").to_pylist()) <= set(frame["last_lap"][steps + 1].tolist())
    # speed agrees with the coordinates, in simulated time (lap_time is in sim ms)
    xyz = np.stack(frame["car_coordinates"])
    lap_ms = frame["lap_time"].astype(float)
    same_lap = np.diff(lap_count) == 0
    dt = np.diff(lap_ms)[same_lap] / 1000
    moved = np.linalg.norm(np.diff(xyz, axis=0), axis=1)[same_lap]
    ok = dt > 0.01
    speed = frame["speed_ms"][1:][same_lap][ok]
    assert np.median(moved[ok] / dt[ok] / speed) == pytest.approx(1.0, abs=0.05)
    # distance covered in one lap ~ the race line's length (integrated speed over lap time)
    one_lap = (lap_count == lap_count[steps[0] + 1]) if len(steps) >= 2 else None
    if one_lap is not None:
        t = lap_ms[one_lap] / 1000
        distance = np.trapezoid(frame["speed_ms"][one_lap], t)
        assert distance == pytest.approx(game.circuit.length, rel=0.01)
    # gear, rpm and speed agree: higher gear never at lower speed within a lap
    assert np.corrcoef(frame["gear"], frame["speed_kmh"])[0, 1] > 0.8
    assert (frame["engine_rpm"] <= 8000).all() and (frame["engine_rpm"] >= 2000).all()
    assert ((frame["gas"] == 0) | (frame["brake"] == 0)).all()  # never both pedals
    norm = frame["car_position_normalized"]
    assert ((norm >= 0) & (norm < 1)).all()
    kmh_ratio = frame["speed_kmh"] / np.maximum(frame["speed_ms"], 1e-6)
    assert np.allclose(kmh_ratio[frame["speed_ms"] > 1], 3.6, rtol=1e-4)


def test_handshake_retries_until_the_game_answers_and_dismisses_on_exit(tmp_path: Path) -> None:
    probe = FakeGame(bind=("127.0.0.1", 0))
    port = probe.address[1]
    probe.sock.close()  # nothing listens yet: the daemon must keep retrying
    proc = start_cli(
        "game",
        "--game",
        f"127.0.0.1:{port}",
        "--out",
        str(tmp_path),
        "--retry-interval",
        "0.2",
        "--status",
        "never",
    )
    game = FakeGame(bind=("127.0.0.1", port), setup=GameSetup(time_scale=5.0))
    wait_for(
        lambda: (game._serve_requests(), game.counters.handshakes >= 2 and game.spot_subscribers)[
            1
        ],
        what="handshake",
    )
    thread = _serve(game)
    wait_for(lambda: game.counters.updates_sent > 50, what="updates")
    assert len(game.update_subscribers) == 1 and len(game.spot_subscribers) == 1
    summary = stop_cli(proc)
    wait_for(lambda: not game.update_subscribers and not game.spot_subscribers, what="dismiss")
    game.stop()
    thread.join()
    assert summary["rows"]["rt_car_info"] > 0


def test_silence_triggers_a_new_handshake(tmp_path: Path) -> None:
    first = FakeGame(bind=("127.0.0.1", 0), setup=GameSetup(time_scale=5.0))
    port = first.address[1]
    thread = _serve(first)
    proc = start_cli(
        "game",
        "--game",
        f"127.0.0.1:{port}",
        "--out",
        str(tmp_path),
        "--silence-timeout",
        "0.5",
        "--retry-interval",
        "0.2",
        "--status",
        "never",
    )
    wait_for(lambda: first.counters.updates_sent > 100, what="first game streaming")
    first.stop()  # the game closes: updates stop
    thread.join()
    second = FakeGame(bind=("127.0.0.1", port), setup=GameSetup(time_scale=5.0, track_name="spa"))
    thread = _serve(second)
    wait_for(lambda: second.counters.updates_sent > 100, what="second game streaming")
    second.stop()
    thread.join()
    summary = stop_cli(proc)
    hands = read_kind(tmp_path, "handshake_response")
    assert set(hands.column("track_name").to_pylist()) == {"ks_monza", "spa"}
    assert (
        summary["rows"]["rt_car_info"] == first.counters.updates_sent + second.counters.updates_sent
    )
