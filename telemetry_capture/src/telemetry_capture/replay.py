"""Re-send a recording at original speed or faster: a raw capture file (see
:mod:`raw_capture`) or the ``raw`` dataset of a capture folder (``--keep-raw``).

Server captures are sent to a plugin address, as acServer would. Game captures are
served like the game: the replayer answers the handshake with the recorded response and
streams updates and spot events to whoever subscribed.
"""

from __future__ import annotations

import logging
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa
import pyarrow.dataset as ds

from telemetry_capture.game_protocol import (
    CAR_INFO_SIZE,
    HANDSHAKE_RESPONSE_SIZES,
    OP_DISMISS,
    OP_HANDSHAKE,
    OP_SUBSCRIBE_SPOT,
    OP_SUBSCRIBE_UPDATE,
    RT_LAP_SIZES,
    decode_handshaker,
)
from telemetry_capture.raw_capture import RecordingError, read_raw_capture
from telemetry_capture.wire import ProtocolError

__all__ = ["ReplayStats", "read_recording", "replay_game", "replay_server"]

log = logging.getLogger(__name__)
Addr = tuple[str, int]


@dataclass
class ReplayStats:
    sent: int = 0
    skipped: int = 0
    seconds: float = 0.0


RAW_COLUMNS: Final = {
    "received_at": pa.timestamp("us", tz="UTC"),
    "protocol": pa.string(),
    "raw": pa.binary(),
}


def read_recording(path: Path) -> pa.Table:
    """Datagrams to replay, in receive order: a raw capture file (``record``) or the ``raw``
    dataset of a capture folder (``--keep-raw``). RecordingError (one line) for anything else."""
    if path.is_file():
        return read_raw_capture(path)
    if not path.is_dir():
        raise RecordingError(f"{path} does not exist")
    raw = path / "raw"
    files = sorted(raw.glob("*.parquet")) if raw.is_dir() else []
    if not files:
        raise RecordingError(
            f"{path} is neither a raw capture file nor a capture folder with a raw dataset"
            " (record with --keep-raw or `telemetry-capture record`)"
        )
    try:
        table = ds.dataset([str(f) for f in files], format="parquet").to_table(
            columns=list(RAW_COLUMNS)
        )
    except (pa.ArrowException, OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise RecordingError(f"{raw} is not a raw dataset: {reason}") from None
    if any(table.schema.field(n).type != t for n, t in RAW_COLUMNS.items()):
        raise RecordingError(f"{raw} is not a raw dataset: columns {table.schema}")
    return table.sort_by("received_at")


def _pace(start: float, first_us: int, ts_us: int, speed: float) -> None:
    if speed <= 0:
        return
    due = start + (ts_us - first_us) / 1e6 / speed
    delay = due - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def replay_server(table: pa.Table, *, to: Addr, speed: float = 1.0) -> ReplayStats:
    """Send every recorded server datagram to the plugin at ``to``."""
    stats = ReplayStats()
    stamps = table.column("received_at").cast(pa.int64()).to_pylist()
    payloads = table.column("raw").to_pylist()
    start = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for ts, data in zip(stamps, payloads, strict=True):
            _pace(start, stamps[0], ts, speed)
            sock.sendto(data, to)
            stats.sent += 1
    stats.seconds = time.monotonic() - start
    return stats


def replay_game(
    table: pa.Table, *, bind: Addr, speed: float = 1.0, wait_for_subscriber: float = 30.0
) -> ReplayStats:
    """Serve a recorded game session on ``bind`` to Remote Telemetry clients."""
    stats = ReplayStats()
    payloads = table.column("raw").to_pylist()
    stamps = table.column("received_at").cast(pa.int64()).to_pylist()
    response = next((p for p in payloads if len(p) in HANDSHAKE_RESPONSE_SIZES), None)
    if response is None:
        raise RecordingError("the recording has no handshake response to answer with")
    updates: set[Addr] = set()
    spots: set[Addr] = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(bind)
        sock.setblocking(False)

        def serve() -> None:
            while True:
                try:
                    data, addr = sock.recvfrom(2048)
                except (BlockingIOError, InterruptedError, ConnectionError):
                    return
                try:
                    op = decode_handshaker(data)["operation_id"]
                except ProtocolError:
                    continue
                if op == OP_HANDSHAKE:
                    sock.sendto(response, addr)
                elif op == OP_SUBSCRIBE_UPDATE:
                    updates.add(addr)
                elif op == OP_SUBSCRIBE_SPOT:
                    spots.add(addr)
                elif op == OP_DISMISS:
                    updates.discard(addr)
                    spots.discard(addr)

        give_up = time.monotonic() + wait_for_subscriber
        while not updates and time.monotonic() < give_up:
            serve()
            time.sleep(0.01)
        if not updates:
            raise TimeoutError("no client subscribed to the replayed game")
        deadline = time.monotonic() + 0.5  # let the spot socket subscribe too
        while not spots and time.monotonic() < deadline:
            serve()
            time.sleep(0.01)
        start = time.monotonic()
        for n, (ts, data) in enumerate(zip(stamps, payloads, strict=True)):
            if n % 64 == 0:
                serve()
            _pace(start, stamps[0], ts, speed)
            if len(data) == CAR_INFO_SIZE:
                targets = updates
            elif len(data) in RT_LAP_SIZES:
                targets = spots
            else:
                stats.skipped += 1
                continue
            for addr in list(targets):
                try:
                    sock.sendto(data, addr)
                except OSError:
                    targets.discard(addr)
            stats.sent += 1
    stats.seconds = time.monotonic() - start
    return stats
