"""Assetto Corsa UDP capture daemon: both protocols, rolling Parquet output, simulators."""

from telemetry_capture.daemon import Capture, CaptureOptions, open_game_capture, open_server_capture
from telemetry_capture.fake_game import FakeGame, GameSetup
from telemetry_capture.fake_server import FakeServer, ServerSetup, SessionSpec, compute_leaderboard
from telemetry_capture.sink import DatasetSink, SinkOptions, read_journal, recover_journals

__all__ = [
    "Capture",
    "CaptureOptions",
    "DatasetSink",
    "FakeGame",
    "FakeServer",
    "GameSetup",
    "ServerSetup",
    "SessionSpec",
    "SinkOptions",
    "compute_leaderboard",
    "open_game_capture",
    "open_server_capture",
    "read_journal",
    "recover_journals",
]
