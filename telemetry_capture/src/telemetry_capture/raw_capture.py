"""Raw capture files: every datagram as received, length-prefixed, behind a magic header.

Layout (little-endian), documented in the README ("Raw capture files"):

- header, 16 bytes: magic ``ACUDPRAW`` (8 bytes), u16 format version (1), u8 protocol
  (1 = game: game -> client Remote Telemetry; 2 = server: acServer -> plugin), u8 0, u32 0;
- then one record per datagram: i64 receive time (microseconds since the Unix epoch, UTC),
  u32 payload length, the payload.

``telemetry-capture record`` writes one while it listens; ``replay`` reads it. A writer killed
mid-record leaves a torn last record: readers keep every complete record and say so.
"""

from __future__ import annotations

import logging
import selectors
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final, Literal

import pyarrow as pa

from telemetry_capture.receiver import MAX_DATAGRAM, Receiver, open_udp_socket
from telemetry_capture.server_protocol import ACSP, encode_request

__all__ = ["MAGIC", "RecordingError", "read_raw_capture", "record_server", "write_raw_capture"]

log = logging.getLogger(__name__)
Protocol = Literal["game", "server"]
MAGIC: Final = b"ACUDPRAW"
VERSION: Final = 1
HEADER = struct.Struct("<8sHBBI")
RECORD = struct.Struct("<qI")
PROTOCOL_CODES: Final[dict[Protocol, int]] = {"game": 1, "server": 2}
TS_TYPE = pa.timestamp("us", tz="UTC")


class RecordingError(ValueError):
    """Input that is not a recording replay can use; the message is one line for the user."""


def _header(protocol: Protocol) -> bytes:
    return HEADER.pack(MAGIC, VERSION, PROTOCOL_CODES[protocol], 0, 0)


def _record(received_us: int, data: bytes) -> bytes:
    return RECORD.pack(received_us, len(data)) + data


def write_raw_capture(
    path: Path, datagrams: list[tuple[int, bytes]], *, protocol: Protocol
) -> None:
    """Write ``(receive time in µs, payload)`` pairs as a complete raw capture file."""
    with open(path, "wb") as handle:
        handle.write(_header(protocol))
        for received_us, data in datagrams:
            handle.write(_record(received_us, data))


def read_raw_capture(path: Path) -> pa.Table:
    """A raw capture file as a table (``received_at``, ``protocol``, ``raw``) in file order.

    Raises RecordingError (one line) for anything that is not such a file.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RecordingError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data:
        raise RecordingError(f"{path} is empty, not a raw capture file")
    if len(data) < HEADER.size or not data.startswith(MAGIC):
        raise RecordingError(
            f"{path} is not a raw capture file (no {MAGIC.decode()} header; see the README)"
        )
    _magic, version, code, *_ = HEADER.unpack_from(data)
    if version != VERSION:
        raise RecordingError(f"{path}: raw capture format version {version} is not supported")
    protocol = next((p for p, c in PROTOCOL_CODES.items() if c == code), None)
    if protocol is None:
        raise RecordingError(f"{path}: unknown protocol code {code} in the raw capture header")
    stamps: list[int] = []
    payloads: list[bytes] = []
    pos = HEADER.size
    while pos + RECORD.size <= len(data):
        received_us, size = RECORD.unpack_from(data, pos)
        if size > MAX_DATAGRAM:
            raise RecordingError(f"{path}: corrupt record at byte {pos} ({size}-byte datagram)")
        end = pos + RECORD.size + size
        if end > len(data):
            break
        stamps.append(received_us)
        payloads.append(data[pos + RECORD.size : end])
        pos = end
    if pos != len(data):
        log.warning("%s: torn last record (%d bytes) ignored", path, len(data) - pos)
    return pa.table(
        {
            "received_at": pa.array(stamps, pa.int64()).cast(TS_TYPE),
            "protocol": pa.array([protocol] * len(stamps), pa.string()),
            "raw": pa.array(payloads, pa.binary()),
        }
    )


@contextmanager
def _raw_file(path: Path, protocol: Protocol) -> Iterator[BinaryIO]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(_header(protocol))
        handle.flush()
        yield handle


def record_server(
    out: Path,
    *,
    listen: tuple[str, int],
    server: tuple[str, int] | None = None,
    interval_ms: int = 0,
    duration: float | None = None,
    stop: threading.Event | None = None,
    on_ready: Callable[[int], None] | None = None,
) -> int:
    """Listen on the plugin port and append every datagram to the raw capture file ``out``
    (flushed after each receive batch) until ``stop`` or ``duration``; return the count.

    With ``server``, car updates are requested every ``interval_ms`` at start and after each
    VERSION or NEW_SESSION, as the capture daemon does."""
    receiver = Receiver(open_udp_socket(listen), role="plugin", slots=256, slot_size=MAX_DATAGRAM)
    stop = stop or threading.Event()

    def ask_for_updates() -> None:
        if server is not None and interval_ms > 0:
            receiver.sock.sendto(
                encode_request("realtimepos_interval", interval_ms=interval_ms), server
            )

    count = 0
    deadline = time.monotonic() + duration if duration else None
    selector = selectors.DefaultSelector()
    selector.register(receiver.sock, selectors.EVENT_READ)
    try:
        with _raw_file(out, "server") as handle:
            ask_for_updates()
            if on_ready is not None:
                on_ready(receiver.sock.getsockname()[1])
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                if not receiver.drain():
                    selector.select(timeout=0.1)
                    continue
                count += _append(receiver, handle, ask_for_updates)
            receiver.drain()  # what already sits in the socket buffer
            count += _append(receiver, handle, ask_for_updates)
    finally:
        selector.close()
        receiver.sock.close()
    return count


def _append(receiver: Receiver, handle: BinaryIO, on_session: Callable[[], None]) -> int:
    """Write the ring's datagrams as records, flush, empty the ring; return how many."""
    count = receiver.count
    for i in range(count):
        data = receiver.datagram(i)
        handle.write(_record(receiver.stamps[i] // 1000, data))
        if data[:1] in (bytes([ACSP.VERSION]), bytes([ACSP.NEW_SESSION])):
            on_session()
    handle.flush()
    receiver.reset()
    return count
