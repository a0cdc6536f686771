"""ingest_assetto end to end: real capture daemons' files -> RAW -> CLEAN, via Kedro."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from pitwall.assetto.demo import record_demo_session
from pitwall.assetto.tables import CLEAN_KEYS, RAW_KINDS, raw_table
from pitwall.lake.delta import open_table, read_table
from pitwall.lake.layout import Lake
from pitwall.lake.records import read_ingestion_log
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A short demo race: fake game + fake acServer (3 cars) into two capture daemons."""
    root = tmp_path_factory.mktemp("landing")
    summary = record_demo_session(
        root, seconds=6, cars=3, track="ks_brands_hatch", practice=False, race_laps=2, rigs=1
    )
    return root / "assetto", summary


def run_ingest_assetto(landing: Path | str, monkeypatch: pytest.MonkeyPatch) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    monkeypatch.setenv("PITWALL_ASSETTO_LANDING", str(landing))
    bootstrap_project(REPO_ROOT)
    with KedroSession.create(project_path=REPO_ROOT) as session:
        session.run(pipeline_names=["ingest_assetto"])


def table(lake: Lake, layer: str, name: str) -> pl.DataFrame:
    return read_table(lake.table_uri(layer, name), storage_options=lake.storage_options)  # type: ignore[arg-type]


def files_of(landing: Path, kind: str) -> list[Path]:
    return sorted(p for p in landing.rglob(f"{kind}/*.parquet"))


def versions(lake: Lake) -> dict[str, int]:
    out = {}
    for layer in ("raw", "clean", "quarantine"):
        for name in lake.list_tables(layer):  # type: ignore[arg-type]
            out[f"{layer}.{name}"] = open_table(lake.table_uri(layer, name)).version()  # type: ignore[arg-type, union-attr]
    return out


def _quarantine_reasons(lake: Lake) -> list[str]:
    """The quarantined rows' reasons, up to the first comma (the rest names the row)."""
    if open_table(lake.table_uri("quarantine", "assetto")) is None:
        return []
    reasons = table(lake, "quarantine", "assetto")["reason"]
    return [r.split(",")[0] for r in reasons.to_list()]


def test_captures_land_once_and_build_clean(
    recorded: tuple[Path, dict], lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, summary = recorded
    run_ingest_assetto(landing, monkeypatch)

    # RAW: every row of every file, once, with ingestion metadata
    for kind in RAW_KINDS:
        files = files_of(landing, kind)
        if not files:
            continue
        raw = table(lake, "raw", raw_table(kind))
        assert raw.height == sum(pq.read_metadata(f).num_rows for f in files), kind
        assert {"_batch_id", "_ingested_at", "_source", "_source_row"} <= set(raw.columns)
        assert raw.select(pl.struct("_source", "_source_row").is_unique().all()).item()
    log = read_ingestion_log(lake=lake)
    assert log.height == sum(1 for _ in landing.rglob("*.parquet"))
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
    # the only rows set aside are datagrams the server sent twice, identical (on a real
    # circuit a car at rest sends the same update again): each is kept once, the copy
    # superseded with its reason
    assert set(log["status"]) <= {"ok", "partial"}
    assert set(_quarantine_reasons(lake)) <= {"superseded: duplicate car_update datagram"}

    sessions = table(lake, "clean", "ac_sessions")
    assert sorted(sessions["protocol"]) == ["game", "server"]
    server = sessions.filter(pl.col("protocol") == "server").row(0, named=True)
    assert (server["track"], server["track_config"], server["session_type"]) == (
        "ks_brands_hatch",
        "gp",
        "race",
    )
    game = sessions.filter(pl.col("protocol") == "game").row(0, named=True)
    assert game["track"] == "ks_brands_hatch" and game["track_config"] is None

    sent = summary["server_sim"]["sent"]
    laps = table(lake, "clean", "ac_laps")
    server_laps = laps.filter(pl.col("protocol") == "server")
    assert server_laps.height == sent["lap_completed"] >= 3
    assert (server_laps["valid"] == (server_laps["cuts"] == 0)).all()
    assert server_laps["top_speed_kmh"].is_not_null().all()
    assert server_laps["driver_name"].is_not_null().all()
    game_laps = laps.filter(pl.col("protocol") == "game").sort("lap_number")
    assert game_laps["lap_time_ms"].to_list() == summary["game_sim"]["laps"][: game_laps.height]
    assert game_laps.height >= 2 and game_laps["valid"].all() and game_laps["cuts"].is_null().all()

    telemetry = table(lake, "clean", "ac_telemetry")
    assert telemetry.height == summary["game"]["rows"]["rt_car_info"]
    full_lap = telemetry.filter(pl.col("lap_number") == 2)
    # distance along the lap ends near the race line's 3.88 km and grows with time
    assert full_lap["distance_m"].max() == pytest.approx(3883, rel=0.03)
    assert full_lap.sort("ts")["distance_m"].diff().drop_nulls().min() >= 0
    top = game_laps.filter(pl.col("lap_number") == 2)["top_speed_kmh"].item()
    assert top == pytest.approx(full_lap["speed_kmh"].max())

    positions = table(lake, "clean", "ac_car_positions")
    copies = _quarantine_reasons(lake).count("superseded: duplicate car_update datagram")
    assert positions.height + copies == sent["car_update"]
    assert positions["speed_kmh"].max() < 320 and positions["gear"].min() >= -1

    drivers = table(lake, "clean", "ac_drivers")
    assert drivers.filter(pl.col("session_id") == server["session_id"]).height == 3

    raw_events = table(lake, "raw", "ac_client_event")
    car_reports = raw_events.filter(pl.col("event_type") == 10).height
    env_reports = raw_events.filter(pl.col("event_type") == 11).height
    collisions = table(lake, "clean", "ac_collisions")
    assert collisions.filter(pl.col("kind") == "car").height == car_reports // 2
    assert collisions["reports"].sum() == raw_events.height  # every report accounted for
    assert collisions.filter(pl.col("kind") == "env").height == env_reports

    board = table(lake, "clean", "ac_leaderboard")
    assert board.height == sent["lap_completed"] * 3  # three connected cars, empty slots dropped
    last = board.filter(pl.col("ts") == board["ts"].max()).sort("position")
    assert last["position"].to_list() == [1, 2, 3]

    # a second run finds nothing new and changes nothing
    before = versions(lake)
    run_ingest_assetto(landing, monkeypatch)
    assert versions(lake) == before


def test_incremental_landing_matches_a_single_run(
    recorded: tuple[Path, dict], lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, _ = recorded
    staged = tmp_path / "landing"
    files = sorted(landing.rglob("*.parquet"), key=lambda p: p.name)
    half = len(files) // 2
    for f in files[:half]:
        target = staged / f.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, target)
    run_ingest_assetto(staged, monkeypatch)
    for f in files[half:]:
        target = staged / f.relative_to(landing)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, target)
    run_ingest_assetto(staged, monkeypatch)
    incremental = {t: table(lake, "clean", t) for t in CLEAN_KEYS}

    other = tmp_path / "lake2"
    monkeypatch.setenv("PITWALL_LAKE_URI", str(other))
    from pitwall.lake.layout import get_lake
    from pitwall.settings import get_settings

    get_settings.cache_clear()
    run_ingest_assetto(staged, monkeypatch)
    single = get_lake()
    for name, keys in CLEAN_KEYS.items():
        want = table(single, "clean", name).sort(list(keys))
        got = incremental[name].select(want.columns).sort(list(keys))
        assert got.equals(want), name
    for kind in RAW_KINDS:
        uri = single.table_uri("raw", raw_table(kind))
        if open_table(uri) is not None:
            assert (
                table(single, "raw", raw_table(kind)).height
                == table(lake, "raw", raw_table(kind)).height
            )


def test_bad_files_and_rows_go_to_quarantine(
    recorded: tuple[Path, dict], lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, _ = recorded
    staged = tmp_path / "landing"
    shutil.copytree(landing, staged)
    # a torn file (not produced by our daemon, which renames only complete files)
    (staged / "server" / "car_update" / "broken-00001.parquet").write_bytes(b"PAR1 not really")
    # a file of a dataset kind nobody knows
    (staged / "server" / "mystery").mkdir()
    shutil.copy(
        files_of(landing, "version")[0], staged / "server" / "mystery" / "odd-00001.parquet"
    )
    # the daemon's own quarantine: undecodable datagrams with their bytes and reason
    import pyarrow as pa
    from telemetry_capture.schemas import schema_for

    datagram = {
        "received_at": 1_700_000_000_000_000,
        "source": "127.0.0.1:9",
        "capture_id": "x",
        "protocol": "server",
        "reason": "unknown message id 99",
        "size": 2,
        "raw": b"\x63\x01",
    }
    bad = pa.Table.from_pylist([datagram], schema=schema_for("quarantine"))
    (staged / "server" / "quarantine").mkdir()
    pq.write_table(bad, staged / "server" / "quarantine" / "x-00001.parquet")
    # rows without a receive time in an otherwise good file
    loaded = pq.read_table(files_of(landing, "client_loaded")[0])
    holes = loaded.set_column(
        0,
        "received_at",
        pa.array([None, *loaded.column(0).to_pylist()[1:]], loaded.schema.field(0).type),
    )
    pq.write_table(holes, staged / "server" / "client_loaded" / "holes-00001.parquet")

    run_ingest_assetto(staged, monkeypatch)
    log = read_ingestion_log(lake=lake)
    refused = dict(zip(log["source"], log["error"], strict=True))  # files refused whole
    assert "unreadable Parquet" in refused["server/car_update/broken-00001.parquet"]
    assert "unknown dataset kind 'mystery'" in refused["server/mystery/odd-00001.parquet"]
    quarantine = table(lake, "quarantine", "assetto")
    reasons = dict(zip(quarantine["_source"], quarantine["reason"], strict=False))
    assert reasons["server/quarantine/x-00001.parquet"] == "capture: unknown message id 99"
    capture_row = quarantine.filter(pl.col("stage") == "capture").row(0, named=True)
    assert '"raw":"6301"' in capture_row["record"]
    holes = quarantine.filter(pl.col("_source") == "server/client_loaded/holes-00001.parquet")
    assert "null received_at" in holes["reason"].to_list()  # the rest are copies: superseded
    log = read_ingestion_log(lake=lake)
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
    statuses = dict(zip(log["source"], log["status"], strict=True))
    # a row without a receive time, the others copies of rows already landed: nothing new
    assert statuses["server/client_loaded/holes-00001.parquet"] == "rejected"
    assert statuses["server/car_update/broken-00001.parquet"] == "rejected"
    assert statuses["server/quarantine/x-00001.parquet"] == "rejected"  # all quarantined
    landed = table(lake, "raw", "ac_client_loaded").filter(
        pl.col("_source") == "server/client_loaded/holes-00001.parquet"
    )
    assert landed.height == loaded.num_rows  # RAW keeps every row as written
    clean_from_holes = table(lake, "clean", "ac_drivers")
    assert clean_from_holes.height > 0
    # nothing is retried or doubled on the next run
    before = quarantine.height
    run_ingest_assetto(staged, monkeypatch)
    assert table(lake, "quarantine", "assetto").height == before


def test_a_crash_between_raw_commits_neither_loses_nor_doubles(
    recorded: tuple[Path, dict], lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, _ = recorded
    import pitwall.lake.commit as commit

    real = commit.commit_files
    calls = {"n": 0}

    def crashing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("simulated crash after two RAW commits")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(commit, "commit_files", crashing)
    with pytest.raises(Exception, match="simulated crash"):
        run_ingest_assetto(landing, monkeypatch)
    monkeypatch.setattr(commit, "commit_files", real)
    run_ingest_assetto(landing, monkeypatch)
    for kind in RAW_KINDS:
        files = files_of(landing, kind)
        if files:
            assert table(lake, "raw", raw_table(kind)).height == sum(
                pq.read_metadata(f).num_rows for f in files
            )
    log = read_ingestion_log(lake=lake)
    assert log.height == sum(1 for _ in landing.rglob("*.parquet"))


def test_a_session_message_landing_late_moves_rows_without_leaving_copies(
    recorded: tuple[Path, dict], lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files of different kinds roll at different times: a run may see a session's laps
    before the NEW_SESSION that opens it. The next run must re-assign them, not double them."""
    landing, summary = recorded
    staged = tmp_path / "landing"
    shutil.copytree(
        landing / "server", staged / "server", ignore=shutil.ignore_patterns("new_session")
    )
    run_ingest_assetto(staged, monkeypatch)
    early = table(lake, "clean", "ac_sessions")
    assert early["track"].to_list() == [None]  # nothing describes the session yet
    shutil.copytree(landing / "server" / "new_session", staged / "server" / "new_session")
    run_ingest_assetto(staged, monkeypatch)
    sessions = table(lake, "clean", "ac_sessions")
    assert sessions["track"].to_list() == ["ks_brands_hatch"]
    laps = table(lake, "clean", "ac_laps")
    assert laps.height == summary["server_sim"]["sent"]["lap_completed"]
    assert set(laps["session_id"]) == set(sessions["session_id"])
    positions = table(lake, "clean", "ac_car_positions")
    copies = _quarantine_reasons(lake).count("superseded: duplicate car_update datagram")
    assert positions.height + copies == summary["server_sim"]["sent"]["car_update"]


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _capture_cli(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "telemetry_capture", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_car_changing_hands_keeps_every_lap_of_both_drivers(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server mode over real UDP: car 1 changes hands mid-race (the server restarts its lap
    count); clean.ac_laps holds every LAP_COMPLETED, each under the driver who drove it."""
    import threading

    from telemetry_capture.fake_server import DriverChange, FakeServer, ServerSetup, SessionSpec

    landing = tmp_path / "landing"
    server_port, plugin_port = _free_udp_port(), _free_udp_port()
    port_file = tmp_path / "plugin.port"
    daemon = _capture_cli(
        "server", "--listen", f"127.0.0.1:{plugin_port}", "--server", f"127.0.0.1:{server_port}",
        "--interval-ms", "500", "--out", str(landing / "server"), "--port-file", str(port_file),
        "--status", "never",
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not port_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert port_file.exists(), "the capture daemon did not start"
    # after the first lap (about 90 s round Brands Hatch), before the last of three
    relief = DriverChange(car_id=1, at_s=120.0, driver_name="Relief Driver", driver_guid="7656999")
    server = FakeServer(
        plugin=("127.0.0.1", plugin_port),
        bind=("127.0.0.1", server_port),
        setup=ServerSetup(
            cars=3,
            sessions=[SessionSpec("Race", 3, seconds=300.0)],
            time_scale=10.0,
            driver_changes=[relief],
        ),
    )
    original = server.cars[1].driver_name
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, stderr.decode()[-2000:]

    run_ingest_assetto(landing, monkeypatch)
    raw = table(lake, "raw", "ac_lap_completed")
    assert raw.height == server.counters.sent["lap_completed"]
    changed_at = (
        table(lake, "raw", "ac_new_connection")
        .filter(pl.col("driver_name") == "Relief Driver")["received_at"]
        .item()
    )
    car1 = raw.filter(pl.col("car_id") == 1).sort("received_at")
    before = car1.filter(pl.col("received_at") < changed_at)["lap_time"].to_list()
    after = car1.filter(pl.col("received_at") > changed_at)["lap_time"].to_list()
    assert before and after  # both drivers completed laps in the slot

    laps = table(lake, "clean", "ac_laps")
    assert laps.height == raw.height  # every lap of every car, none lost to a shared key
    mine = laps.filter(pl.col("car_id") == 1).sort("completed_at")
    by_driver = {name: part.sort("completed_at") for (name,), part in mine.group_by("driver_name")}
    assert set(by_driver) == {original, "Relief Driver"}
    assert by_driver[original]["lap_time_ms"].to_list() == before
    assert by_driver["Relief Driver"]["lap_time_ms"].to_list() == after
    assert by_driver["Relief Driver"]["driver_guid"].unique().to_list() == ["7656999"]
    # the server restarted the car's lap count: each stint numbers its laps from 1
    assert by_driver[original]["lap_number"].to_list() == list(range(1, len(before) + 1))
    assert by_driver["Relief Driver"]["lap_number"].to_list() == list(range(1, len(after) + 1))
    drivers = table(lake, "clean", "ac_drivers").filter(pl.col("car_id") == 1)
    assert sorted(drivers["driver_name"]) == sorted([original, "Relief Driver"])
    quarantine_uri = lake.table_uri("quarantine", "assetto")
    if open_table(quarantine_uri) is not None:
        assert table(lake, "quarantine", "assetto").filter(pl.col("stage") == "clean").is_empty()


def _wait_for_file(path: Path, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), f"{path} never appeared"


def test_a_daemon_killed_after_its_first_datagrams_loses_none_of_them(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Send N datagrams, wait until the journal holds them, SIGKILL the daemon (no clean
    stop, no Parquet written), land: all N are in RAW."""
    import socket

    from telemetry_capture.server_protocol import encode_server_message
    from telemetry_capture.sink import read_journal

    landing = tmp_path / "landing"
    port_file = tmp_path / "plugin.port"
    daemon = _capture_cli(
        "server", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--interval-ms", "0",
        "--out", str(landing / "server"), "--port-file", str(port_file), "--status", "never",
    )  # fmt: skip
    _wait_for_file(port_file)
    plugin = ("127.0.0.1", int(port_file.read_text()))
    sent = [encode_server_message("version", {"protocol_version": 4})]
    sent += [encode_server_message("client_loaded", {"car_id": car}) for car in range(24)]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for data in sent:
            sock.sendto(data, plugin)

    def journalled() -> int:
        tables = [read_journal(j) for j in (landing / "server").glob("*/.*.arrows")]
        return sum(t.num_rows for t in tables if t is not None)

    deadline = time.monotonic() + 30
    while journalled() < len(sent) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert journalled() == len(sent)
    daemon.send_signal(signal.SIGKILL)
    daemon.communicate(timeout=30)
    assert not list((landing / "server").rglob("*.parquet"))  # nothing was finalised

    run_ingest_assetto(landing, monkeypatch)  # the landing recovers the dead daemon's journals
    assert table(lake, "raw", "ac_version").height == 1
    assert sorted(table(lake, "raw", "ac_client_loaded")["car_id"]) == list(range(24))


def _hostile_server_stream() -> list[bytes]:
    """A practice restarted mid-capture, a LAP_COMPLETED and an env collision delivered
    twice, a car contact reported in swapped order 9 m apart, a chat that is not valid text."""
    from telemetry_capture.fake_server import compute_leaderboard
    from telemetry_capture.server_protocol import encode_server_message as enc

    session = {
        "protocol_version": 4, "session_index": 0, "current_session_index": 0,
        "session_count": 1, "server_name": "Hostile", "track": "monza", "track_config": "",
        "session_name": "Practice", "session_type": 1, "time": 30, "laps": 0, "wait_time": 0,
        "ambient_temp": 20, "road_temp": 25, "weather_graphics": "3_clear", "elapsed_ms": 0,
    }  # fmt: skip
    history: dict[int, list[tuple[int, int]]] = {}

    def lap(car: int, ms: int) -> bytes:
        history.setdefault(car, []).append((ms, 0))
        board = compute_leaderboard(history, slots=2, session_type=1, finished=set())
        return enc(
            "lap_completed",
            {"car_id": car, "lap_time": ms, "cuts": 0, "leaderboard": board, "grip_level": 1.0},
        )

    def contact(car: int, other: int, x: float) -> bytes:
        return enc(
            "client_event",
            {"event_type": 10, "car_id": car, "other_car_id": other, "impact_speed": 30.0,
             "world_pos": [x, 0.0, 5.0], "rel_pos": [0.0, 0.3, 2.1]},
        )  # fmt: skip

    def joined(car: int, name: str) -> bytes:
        return enc(
            "new_connection",
            {"driver_name": name, "driver_guid": f"765611{car}", "car_id": car,
             "car_model": "ks_audi_r8_lms", "car_skin": "red"},
        )  # fmt: skip

    wall = enc(
        "client_event",
        {"event_type": 11, "car_id": 1, "impact_speed": 80.0, "world_pos": [3.0, 0.0, 1.0],
         "rel_pos": [0.9, 0.2, 1.4]},
    )  # fmt: skip
    first_lap = lap(0, 90_000)
    bad_chat = b"".join(u.to_bytes(4, "little") for u in (0x6F, 0xD800, 0x6B))
    stream = [
        enc("version", {"protocol_version": 4}),
        enc("new_session", session),
        joined(0, "Ann"), joined(1, "Ben"),
        enc("client_loaded", {"car_id": 0}), enc("client_loaded", {"car_id": 1}),
        first_lap, first_lap,  # the network's duplicate
        contact(1, 0, 9.0), contact(0, 1, 0.0),  # one contact, reported from both cars
        wall, wall,  # the network's duplicate
        lap(1, 93_000),
        enc("chat", {"car_id": 0, "message": "", "message_raw": bad_chat}),
        enc("end_session", {"results_json_path": "results/x.json"}),  # restart
    ]  # fmt: skip
    history.clear()
    return [*stream, enc("new_session", session), lap(0, 91_000), lap(1, 92_000)]


def _hostile_game_stream() -> list[bytes]:
    """Lap 1 -> 2 with lap 1's last datagram arriving late, one datagram duplicated, then the
    session restarted without a new handshake (the lap counter back at 0 for good)."""
    from telemetry_capture.game_protocol import encode_rt_car_info

    def car(lap_count: int, ms: int, last: int = 0) -> bytes:
        return encode_rt_car_info(
            {"lap_count": lap_count, "lap_time": ms, "last_lap": last, "speed_kmh": 100.0,
             "speed_ms": 27.7, "gear": 4, "car_coordinates": [float(ms), 0.0, 0.0]},
        )  # fmt: skip

    lap0 = [car(0, ms) for ms in range(0, 15_000, 500)]
    lap1 = [car(1, ms, 15_000) for ms in range(3, 16_000, 500)]
    stream = [*lap0[:-1], lap1[0], lap0[-1], *lap1[1:]]  # lap 0's last datagram arrives late
    stream += [car(2, ms, 16_003) for ms in range(3, 2_000, 500)]
    stream.insert(10, stream[9])  # a duplicated datagram
    return stream + [car(0, ms) for ms in range(0, 3_000, 500)]  # restart: back at lap 0


def test_hostile_captures_land_whole_and_clean_counts_everything_once(
    lake: Lake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real UDP into both daemons: duplicates, reordering, a restart mid-capture, an invalid
    chat. RAW holds every datagram; CLEAN counts each lap and contact once; every copy it
    drops is a superseded quarantine row."""
    import socket

    from telemetry_capture.game_protocol import (
        OP_SUBSCRIBE_UPDATE,
        decode_handshaker,
        encode_handshake_response,
    )

    landing = tmp_path / "landing"
    port_file = tmp_path / "plugin.port"
    server_daemon = _capture_cli(
        "server", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--interval-ms", "0",
        "--out", str(landing / "server"), "--port-file", str(port_file), "--status", "never",
    )  # fmt: skip
    game = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    game.bind(("127.0.0.1", 0))
    game.settimeout(30)
    game_daemon = _capture_cli(
        "game", "--game", f"127.0.0.1:{game.getsockname()[1]}", "--out", str(landing / "game"),
        "--status", "never",
    )  # fmt: skip
    _wait_for_file(port_file)
    server_stream = _hostile_server_stream()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i, data in enumerate(server_stream):
            if i and data != server_stream[i - 1]:  # a server spaces its messages; copies are not
                time.sleep(0.1)
            sock.sendto(data, ("127.0.0.1", int(port_file.read_text())))
    hand = encode_handshake_response(
        car_name="ks_mazda_mx5_cup", driver_name="Gamer", track_name="monza", track_config="monza"
    )
    subscriber = None
    while subscriber is None:
        data, addr = game.recvfrom(64)
        op = decode_handshaker(data)["operation_id"]
        if op == 0:
            game.sendto(hand, addr)
        elif op == OP_SUBSCRIBE_UPDATE:
            subscriber = addr
    game_stream = _hostile_game_stream()
    for data in game_stream:
        game.sendto(data, subscriber)
    for daemon in (server_daemon, game_daemon):
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=60)
        assert daemon.returncode == 0, stderr.decode()[-2000:]
    game.close()

    run_ingest_assetto(landing, monkeypatch)
    raw_server = sum(
        table(lake, "raw", raw_table(k)).height
        for k in ("version", "new_session", "new_connection", "client_loaded", "lap_completed",
                  "client_event", "chat", "end_session")
    )  # fmt: skip
    assert raw_server == len(server_stream)  # RAW: every datagram, copies included
    assert table(lake, "raw", "ac_rt_car_info").height == len(game_stream)
    chat = table(lake, "raw", "ac_chat").row(0, named=True)
    assert chat["message"] == "o\ufffdk" and chat["message_raw"] is not None

    sessions = table(lake, "clean", "ac_sessions")
    assert sorted(sessions["protocol"]) == ["game", "game", "server", "server"]  # two restarts
    laps = table(lake, "clean", "ac_laps")
    server_laps = laps.filter(pl.col("protocol") == "server").sort("completed_at")
    assert server_laps.select("driver_name", "lap_number", "lap_time_ms").rows() == [
        ("Ann", 1, 90_000),
        ("Ben", 1, 93_000),
        ("Ann", 1, 91_000),  # the restarted session
        ("Ben", 1, 92_000),
    ]
    game_laps = laps.filter(pl.col("protocol") == "game").sort("lap_number")
    assert game_laps.select("lap_number", "lap_time_ms").rows() == [(1, 15_000), (2, 16_003)]
    collisions = table(lake, "clean", "ac_collisions").sort("ts")
    assert collisions.select("kind", "reports").rows() == [("car", 2), ("env", 1)]

    quarantine = table(lake, "quarantine", "assetto").filter(pl.col("stage") == "clean")
    # the duplicated game datagram is a row of its own, unless both copies were received in
    # the same microsecond: then they share the telemetry key and the copy is quarantined
    same_instant = quarantine.filter(
        pl.col("reason").str.starts_with("superseded: clean.ac_telemetry key")
    ).height
    assert same_instant <= 1
    assert table(lake, "clean", "ac_telemetry").height + same_instant == len(game_stream)
    reasons = sorted(quarantine["reason"].str.extract(r"^(superseded: duplicate \w+)").drop_nulls())
    assert reasons == [
        "superseded: duplicate client_event",
        "superseded: duplicate lap_completed",
    ]
    assert quarantine.height == len(reasons) + same_instant
    log = read_ingestion_log(lake=lake)
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
