"""Turn a receiver's ring of datagrams into Arrow record batches and quarantine rows."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from telemetry_capture.game_protocol import (
    BOOL_FIELDS,
    CAR_INFO_SIZE,
    HANDSHAKE_RESPONSE_SIZES,
    RT_CAR_INFO_FIELDS,
    RT_LAP_SIZES,
    check_rt_car_info,
    decode_handshake_response,
    decode_rt_lap,
    rt_car_info_dtype,
)
from telemetry_capture.receiver import Receiver
from telemetry_capture.schemas import schema_for
from telemetry_capture.server_protocol import decode_server_message
from telemetry_capture.sink import DatasetSink
from telemetry_capture.wire import ProtocolError

__all__ = ["CaptureStats", "GameDecoder", "ServerDecoder", "constant_strings"]

log = logging.getLogger(__name__)
Protocol = Literal["game", "server"]
TS_TYPE = pa.timestamp("us", tz="UTC")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class CaptureStats:
    """Counters shown on the status line and returned at the end of a capture."""

    received: int = 0
    decoded: int = 0
    quarantined: int = 0
    forwarded: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    cars: set[int] = field(default_factory=set)
    laps: int = 0
    kernel_drops: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "decoded": self.decoded,
            "quarantined": self.quarantined,
            "forwarded": self.forwarded,
            "kinds": dict(self.kinds),
            "cars": len(self.cars),
            "laps": self.laps,
            "kernel_drops": self.kernel_drops,
        }


def constant_strings(value: str, n: int) -> pa.Array:
    """``n`` copies of one string, built from buffers (no per-row Python objects)."""
    data = value.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(data)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data * n))


def car_info_batch(
    records: np.ndarray, *, stamps: pa.Array, source: str, capture_id: str
) -> pa.RecordBatch:
    """RTCarInfo ``records`` (a structured array) as an ``rt_car_info`` batch.

    Every column is built from a fresh copy (``np.array`` copies; ``ascontiguousarray``
    would not for a ring of one datagram, whose view is already contiguous), because Arrow
    wraps numpy memory without copying and a receive ring is overwritten by the next
    datagrams while the batch waits for the writer thread.
    """
    n = len(records)
    columns: list[pa.Array] = [stamps, constant_strings(source, n), constant_strings(capture_id, n)]
    for name, fmt, _ in RT_CAR_INFO_FIELDS:
        if name == "identifier":
            columns.append(constant_strings("a", n))
        elif name in BOOL_FIELDS:
            columns.append(pa.array(records[name] != 0))
        elif isinstance(fmt, tuple):
            flat = np.array(records[name]).reshape(-1)
            columns.append(pa.FixedSizeListArray.from_arrays(pa.array(flat), fmt[1][0]))
        else:
            columns.append(pa.array(np.array(records[name])))
    return pa.RecordBatch.from_arrays(columns, schema=schema_for("rt_car_info"))


class _Base:
    protocol: Protocol

    def __init__(self, sink: DatasetSink, stats: CaptureStats, *, keep_raw: bool = False) -> None:
        self.sink = sink
        self.stats = stats
        self.keep_raw = keep_raw
        self.capture_id = sink.capture_id
        self._quarantine: list[dict[str, Any]] = []

    def _common(self, receiver: Receiver, i: int) -> dict[str, Any]:
        return {
            "received_at": EPOCH + timedelta(microseconds=receiver.stamps[i] // 1000),
            "source": receiver.source_of(i),
            "capture_id": self.capture_id,
        }

    def quarantine(self, receiver: Receiver, i: int, reason: str) -> None:
        """Keep datagram ``i`` with its reason and its true size (``raw`` holds its first
        ``slot_size`` bytes when it was longer than the receive slot)."""
        raw = receiver.datagram(i)
        size = receiver.sizes[i]
        if receiver.truncated(i):
            reason = (
                f"oversize: datagram of {size} bytes, longer than the {receiver.slot_size}-byte"
                f" receive slot (its first {len(raw)} bytes kept; {reason})"
            )
        self._quarantine.append(
            {
                **self._common(receiver, i),
                "protocol": self.protocol,
                "reason": reason,
                "size": size,
                "raw": raw,
            }
        )
        self.stats.quarantined += 1

    def _keep_raw(self, receiver: Receiver, count: int) -> None:
        if not self.keep_raw:
            return
        rows = [
            {**self._common(receiver, i), "protocol": self.protocol, "raw": receiver.datagram(i)}
            for i in range(count)
        ]
        self.sink.add_rows("raw", rows)

    def _finish(self) -> None:
        if self._quarantine:
            self.sink.add_rows("quarantine", self._quarantine)
            self._quarantine = []


class GameDecoder(_Base):
    """Remote Telemetry: RTCarInfo decoded for the whole ring at once with numpy."""

    protocol: Protocol = "game"

    def __init__(
        self,
        sink: DatasetSink,
        stats: CaptureStats,
        *,
        on_handshake: Callable[[Receiver, dict[str, Any]], None] | None = None,
        keep_raw: bool = False,
    ) -> None:
        super().__init__(sink, stats, keep_raw=keep_raw)
        self.on_handshake = on_handshake
        self._dtypes: dict[int, np.dtype] = {}
        self._last_lap_count: int | None = None
        self._player_laps = 0  # lapCount increments of the player's car
        self._spot_laps = 0  # RTLap events (any car; some setups never send them)
        # Warm up numpy/pyarrow (lazy kernels, dtype caches) before the first burst arrives:
        # a first-batch stall of ~30 ms loses thousands of datagrams at 100k/s.
        self._car_info_batch(
            np.zeros(4, dtype=rt_car_info_dtype()), np.zeros(4, np.int64), "warm-up"
        )

    def __call__(self, receiver: Receiver) -> None:
        count = receiver.count
        if not count:
            return
        self.stats.received += count
        self._keep_raw(receiver, count)
        dtype = self._dtypes.get(receiver.slot_size) or self._dtypes.setdefault(
            receiver.slot_size, rt_car_info_dtype(receiver.slot_size)
        )
        records = np.ndarray((count,), dtype=dtype, buffer=receiver.buffer)
        sizes = np.array(receiver.sizes[:count], dtype=np.int32)
        ok = (
            (sizes == CAR_INFO_SIZE)
            & (records["identifier"] == ord("a"))
            & (records["size"] == CAR_INFO_SIZE)
        )
        n_ok = int(ok.sum())
        stamps = np.array(receiver.stamps[:count], dtype=np.int64)
        if n_ok:
            if n_ok != count:
                records, stamps_ok = records[ok], stamps[ok]
            else:
                stamps_ok = stamps
            self.sink.add("rt_car_info", self._car_info_batch(records, stamps_ok, receiver.source))
            self.stats.decoded += n_ok
            self.stats.kinds["rt_car_info"] += n_ok
            self.stats.cars.add(0)
            laps = records["lap_count"]
            last = int(laps[-1])
            if self._last_lap_count is not None:
                steps = int(np.count_nonzero(np.diff(laps)))
                self._player_laps += steps + (int(laps[0]) != self._last_lap_count)
            self._last_lap_count = last
            self.stats.laps = max(self._player_laps, self._spot_laps)
        if n_ok != count:
            self._decode_rare(receiver, np.flatnonzero(~ok))
        self._finish()
        receiver.reset()

    def _car_info_batch(
        self, records: np.ndarray, stamps: np.ndarray, source: str
    ) -> pa.RecordBatch:
        return car_info_batch(
            records,
            stamps=pa.array(stamps // 1000, type=TS_TYPE),
            source=source,
            capture_id=self.capture_id,
        )

    def _decode_rare(self, receiver: Receiver, indices: np.ndarray) -> None:
        handshakes: list[dict[str, Any]] = []
        laps: list[dict[str, Any]] = []
        for i in indices.tolist():
            if receiver.truncated(i):
                self.quarantine(receiver, i, "no Remote Telemetry message is that long")
                continue
            data = receiver.datagram(i)
            try:
                if len(data) in HANDSHAKE_RESPONSE_SIZES:
                    row = {**self._common(receiver, i), **decode_handshake_response(data)}
                    handshakes.append(row)
                    if self.on_handshake is not None:
                        self.on_handshake(receiver, row)
                elif len(data) in RT_LAP_SIZES:
                    laps.append({**self._common(receiver, i), **decode_rt_lap(data)})
                elif len(data) == CAR_INFO_SIZE:
                    check_rt_car_info(data)  # raises with the precise reason
                else:
                    raise ProtocolError(f"no Remote Telemetry message is {len(data)} bytes long")
            except ProtocolError as exc:
                self.quarantine(receiver, i, str(exc))
        for kind, rows in (("handshake_response", handshakes), ("rt_lap", laps)):
            if rows:
                self.sink.add_rows(kind, rows)
                self.stats.decoded += len(rows)
                self.stats.kinds[kind] += len(rows)
        self._spot_laps += len(laps)
        self.stats.laps = max(self._player_laps, self._spot_laps)


class ServerDecoder(_Base):
    """Server plugin protocol: low rate, decoded datagram by datagram."""

    protocol: Protocol = "server"

    def __init__(
        self,
        sink: DatasetSink,
        stats: CaptureStats,
        *,
        on_message: Callable[[str, dict[str, Any]], None] | None = None,
        on_datagram: Callable[[bytes], None] | None = None,
        keep_raw: bool = False,
    ) -> None:
        super().__init__(sink, stats, keep_raw=keep_raw)
        self.on_message = on_message
        self.on_datagram = on_datagram

    def __call__(self, receiver: Receiver) -> None:
        count = receiver.count
        if not count:
            return
        self.stats.received += count
        self._keep_raw(receiver, count)
        rows: dict[str, list[dict[str, Any]]] = {}
        for i in range(count):
            data = receiver.datagram(i)
            if self.on_datagram is not None:
                self.on_datagram(data)  # forwarding: every datagram, unchanged
            if receiver.truncated(i):
                self.quarantine(receiver, i, "no plugin message is that long")
                continue
            try:
                kind, row = decode_server_message(data)
            except ProtocolError as exc:
                self.quarantine(receiver, i, str(exc))
                continue
            rows.setdefault(kind, []).append({**self._common(receiver, i), **row})
            self.stats.kinds[kind] += 1
            self.stats.decoded += 1
            if "car_id" in row and kind not in ("connection_closed", "chat"):
                self.stats.cars.add(row["car_id"])
            if kind == "lap_completed":
                self.stats.laps += 1
            if self.on_message is not None:
                self.on_message(kind, row)
        for kind, kind_rows in rows.items():
            self.sink.add_rows(kind, kind_rows)
        self._finish()
        receiver.reset()
