"""ingest_assetto end to end: real capture daemons' files -> RAW -> CLEAN, via Kedro."""

from __future__ import annotations

import shutil
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
    """A short demo session: fake game + fake acServer (3 cars) into two capture daemons."""
    root = tmp_path_factory.mktemp("landing")
    summary = record_demo_session(root, seconds=6, cars=3, time_scale=6.0)
    return root / "assetto", summary


def run_ingest_assetto(landing: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
    assert set(log["status"]) == {"ok"}

    sessions = table(lake, "clean", "ac_sessions")
    assert sorted(sessions["protocol"]) == ["game", "server"]
    server = sessions.filter(pl.col("protocol") == "server").row(0, named=True)
    assert (server["track"], server["track_config"], server["session_type"]) == (
        "pitwall_ring",
        "gp",
        "race",
    )
    game = sessions.filter(pl.col("protocol") == "game").row(0, named=True)
    assert game["track"] == "pitwall_ring" and game["track_config"] is None

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
    # distance along the lap ends near the circuit's 600 m and grows with time
    assert full_lap["distance_m"].max() == pytest.approx(600, rel=0.03)
    assert full_lap.sort("ts")["distance_m"].diff().drop_nulls().min() >= 0
    top = game_laps.filter(pl.col("lap_number") == 2)["top_speed_kmh"].item()
    assert top == pytest.approx(full_lap["speed_kmh"].max())

    positions = table(lake, "clean", "ac_car_positions")
    assert positions.height == sent["car_update"]
    assert positions["speed_kmh"].max() < 250 and positions["gear"].min() >= -1

    drivers = table(lake, "clean", "ac_drivers")
    assert drivers.filter(pl.col("session_id") == server["session_id"]).height == 3

    raw_events = table(lake, "raw", "ac_client_event")
    car_reports = raw_events.filter(pl.col("event_type") == 10).height
    env_reports = raw_events.filter(pl.col("event_type") == 11).height
    collisions = table(lake, "clean", "ac_collisions")
    assert collisions.filter(pl.col("kind") == "car").height == car_reports // 2
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
    assert reasons["server/client_loaded/holes-00001.parquet"] == "null received_at"
    log = read_ingestion_log(lake=lake)
    assert (log["rows_in"] == log["rows_landed"] + log["rows_quarantined"]).all()
    statuses = dict(zip(log["source"], log["status"], strict=True))
    assert statuses["server/client_loaded/holes-00001.parquet"] == "partial"
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
    assert sessions["track"].to_list() == ["pitwall_ring"]
    laps = table(lake, "clean", "ac_laps")
    assert laps.height == summary["server_sim"]["sent"]["lap_completed"]
    assert set(laps["session_id"]) == set(sessions["session_id"])
    positions = table(lake, "clean", "ac_car_positions")
    assert positions.height == summary["server_sim"]["sent"]["car_update"]
