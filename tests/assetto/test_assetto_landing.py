"""The landing dataset: completed files only, crashed captures recovered first."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from telemetry_capture.schemas import schema_for
from telemetry_capture.sink import DatasetSink

from pitwall.assetto.datasets import AssettoLandingDataset
from pitwall.lake.layout import Lake


def _version_row(capture: str) -> dict:
    return {
        "received_at": 1_700_000_000_000_000,
        "source": "127.0.0.1:1",
        "capture_id": capture,
        "protocol_version": 4,
    }


def test_load_recovers_dead_captures_and_skips_running_ones(tmp_path: Path, lake: Lake) -> None:
    out = tmp_path / "landing" / "server"
    dead = out / "version" / ".server-dead-00001.arrows"
    dead.parent.mkdir(parents=True)
    schema = schema_for("version")
    with pa.OSFile(str(dead), "wb") as sink, pa.ipc.new_stream(sink, schema) as writer:
        writer.write_batch(pa.RecordBatch.from_pylist([_version_row("server-dead")], schema=schema))
    (out / ".locks").mkdir()
    (out / ".locks" / "server-dead.lock").touch()  # its process is gone: nobody holds it
    running = DatasetSink(out, capture_id="server-live")
    running.add_rows("version", [_version_row("server-live")])
    running.flush()
    try:
        dataset = AssettoLandingDataset(kind="version", landing_dir=str(tmp_path / "landing"))
        files = list(dataset.load())
        assert [f.marker for f in files] == ["server/version/server-dead-00001.parquet"]
        assert files[0].frame is not None and files[0].frame.height == 1
        assert not dead.exists()
    finally:
        running.close()
    again = AssettoLandingDataset(kind="version", landing_dir=str(tmp_path / "landing"))
    assert [f.marker for f in again.load()] == [
        "server/version/server-dead-00001.parquet",
        "server/version/server-live-00001.parquet",
    ]


def test_hidden_and_temporary_files_are_never_listed(tmp_path: Path, lake: Lake) -> None:
    folder = tmp_path / "game" / "rt_lap"
    folder.mkdir(parents=True)
    (folder / ".game-x-00001.parquet.tmp").write_bytes(b"partial")
    (folder / ".game-x-00002.arrows").write_bytes(b"journal")
    assert list(AssettoLandingDataset(kind="rt_lap", landing_dir=str(tmp_path)).load()) == []


@pytest.mark.parametrize("kind", ["rt_car_info", "lap_completed"])
def test_markers_are_paths_relative_to_the_landing_root(
    tmp_path: Path, lake: Lake, kind: str
) -> None:
    import pyarrow.parquet as pq

    target = tmp_path / "rig1" / "game" / kind / "cap-00001.parquet"
    target.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist([], schema=schema_for(kind)), target)
    files = list(AssettoLandingDataset(kind=kind, landing_dir=str(tmp_path)).load())
    assert [(f.marker, f.kind) for f in files] == [(f"rig1/game/{kind}/cap-00001.parquet", kind)]
    other = "rt_lap" if kind != "rt_lap" else "version"
    assert list(AssettoLandingDataset(kind=other, landing_dir=str(tmp_path)).load()) == []


def test_files_of_no_known_kind_are_claimed_by_the_quarantine_kind(
    tmp_path: Path, lake: Lake
) -> None:
    target = tmp_path / "rig1" / "mystery" / "cap-00001.parquet"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"PAR1")
    (file,) = AssettoLandingDataset(kind="quarantine", landing_dir=str(tmp_path)).load()
    assert file.error == "unknown dataset kind 'mystery'"
