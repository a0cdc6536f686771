"""The capture loop: drain sockets, decode rings, flush to the sink, run timers."""

from __future__ import annotations

import logging
import secrets
import selectors
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from telemetry_capture.receiver import Receiver
from telemetry_capture.sink import DatasetSink

__all__ = ["CaptureLoop", "LoopHooks", "new_capture_id"]

log = logging.getLogger(__name__)


def new_capture_id(mode: str) -> str:
    """E.g. ``game-20260101T120000Z-3fa2c1``: sortable, unique per run."""
    return f"{mode}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class LoopHooks:
    """Callbacks run on the capture thread between batches."""

    tick: Callable[[float], None] | None = None
    tick_interval: float = 0.1
    status: Callable[[float], None] | None = None
    status_interval: float = 1.0
    idle: Callable[[], None] | None = None


class CaptureLoop:
    """Single-threaded socket loop; the Parquet writing runs in the sink's thread.

    A ring is decoded when it is full or ``batch_window`` seconds after its first
    datagram, so decoding cost is paid per batch, not per datagram.
    """

    def __init__(
        self,
        receivers: Sequence[tuple[Receiver, Callable[[Receiver], None]]],
        *,
        sink: DatasetSink,
        hooks: LoopHooks | None = None,
        extra_sockets: Sequence[tuple[object, Callable[[], None]]] = (),
        batch_window: float = 0.05,
    ) -> None:
        self.receivers = list(receivers)
        self.sink = sink
        self.hooks = hooks or LoopHooks()
        self.extra = list(extra_sockets)
        self.batch_window = batch_window
        self.stop_event = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()

    def run(self, *, duration: float | None = None) -> None:
        selector = selectors.DefaultSelector()
        for receiver, _ in self.receivers:
            selector.register(receiver.sock, selectors.EVENT_READ)
        for sock, _ in self.extra:
            selector.register(sock, selectors.EVENT_READ)
        hooks = self.hooks
        deadline = time.monotonic() + duration if duration else None
        next_tick = next_status = 0.0
        try:
            while not self.stop_event.is_set():
                got = 0
                for receiver, decode in self.receivers:
                    got += receiver.drain()
                    now = time.monotonic()
                    if receiver.count and (
                        receiver.count >= receiver.capacity
                        or now - receiver.first_rx >= self.batch_window
                        or now >= self.sink.next_flush
                    ):
                        decode(receiver)
                now = time.monotonic()
                if now >= self.sink.next_flush:
                    self.sink.flush(now=now)
                if hooks.tick is not None and now >= next_tick:
                    hooks.tick(now)
                    next_tick = now + hooks.tick_interval
                if hooks.status is not None and now >= next_status:
                    hooks.status(now)
                    next_status = now + hooks.status_interval
                if deadline is not None and now >= deadline:
                    break
                if not got:
                    selector.select(timeout=min(self.batch_window, 0.1))
                for _sock, handler in self.extra:
                    handler()
        finally:
            selector.close()
            for receiver, decode in self.receivers:
                # everything already in the socket buffer, which may hold more than one ring
                while receiver.drain():
                    decode(receiver)
                decode(receiver)
