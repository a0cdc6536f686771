"""Assemble a capture: sockets + decoder + sink + loop, for game or server mode."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telemetry_capture.capture import CaptureLoop, LoopHooks, new_capture_id
from telemetry_capture.decode import CaptureStats, GameDecoder, ServerDecoder
from telemetry_capture.game_client import GameLink
from telemetry_capture.receiver import read_kernel_drops
from telemetry_capture.server_plugin import ServerLink
from telemetry_capture.sink import DatasetSink, SinkOptions, recover_journals

__all__ = ["Capture", "CaptureOptions", "open_game_capture", "open_server_capture"]

log = logging.getLogger(__name__)
StatusFn = Callable[["Capture", float], None]


@dataclass
class CaptureOptions:
    out: Path
    capture_id: str | None = None
    sink: SinkOptions = field(default_factory=SinkOptions)
    keep_raw: bool = False
    status: StatusFn | None = None


class Capture:
    """A running capture; ``run()`` blocks until ``stop()`` (or a duration), then flushes."""

    def __init__(
        self, *, mode: str, loop: CaptureLoop, sink: DatasetSink, stats: CaptureStats, link: Any
    ) -> None:
        self.mode = mode
        self.loop = loop
        self.sink = sink
        self.stats = stats
        self.link = link
        self.started = time.monotonic()
        self.recovered: list[Path] = []

    @property
    def capture_id(self) -> str:
        return self.sink.capture_id

    def stop(self) -> None:
        self.loop.stop()

    def refresh_drops(self) -> None:
        drops = [read_kernel_drops(r.sock) for r, _ in self.loop.receivers]
        self.stats.kernel_drops = sum(d for d in drops if d is not None)

    def run(self, *, duration: float | None = None) -> dict[str, Any]:
        try:
            self.loop.run(duration=duration)
        finally:
            self.refresh_drops()
            self.link.close()
            counters = self.sink.close()
        return {
            "capture_id": self.capture_id,
            "mode": self.mode,
            "seconds": round(time.monotonic() - self.started, 3),
            **self.stats.as_dict(),
            "rows": dict(counters.rows),
            "files_written": counters.files_written,
            "bytes_written": counters.bytes_written,
            "recovered_files": len(self.recovered),
        }


def _hooks(
    capture_ref: list[Capture], options: CaptureOptions, tick: Callable[[float], None] | None
) -> LoopHooks:
    status = options.status

    def on_status(now: float) -> None:
        if status is not None and capture_ref:
            capture_ref[0].refresh_drops()
            status(capture_ref[0], now)

    return LoopHooks(tick=tick, status=on_status if status else None)


def _sink(mode: str, options: CaptureOptions) -> tuple[DatasetSink, list[Path]]:
    recovered = (
        recover_journals(options.out, compression=options.sink.compression)
        if options.out.exists()
        else []
    )
    sink = DatasetSink(
        options.out, capture_id=options.capture_id or new_capture_id(mode), options=options.sink
    )
    return sink, recovered


def open_game_capture(
    game: tuple[str, int],
    *,
    options: CaptureOptions,
    bind_host: str | None = None,
    retry_interval: float = 1.0,
    silence_timeout: float = 3.0,
) -> Capture:
    """Capture a game's Remote Telemetry (updates and spot events) into ``options.out``."""
    sink, recovered = _sink("game", options)
    stats = CaptureStats()
    link = GameLink(
        game, bind_host=bind_host, retry_interval=retry_interval, silence_timeout=silence_timeout
    )
    decoder = GameDecoder(sink, stats, on_handshake=link.on_handshake, keep_raw=options.keep_raw)
    ref: list[Capture] = []
    loop = CaptureLoop(
        [(r, decoder) for r in link.receivers], sink=sink, hooks=_hooks(ref, options, link.tick)
    )
    capture = Capture(mode="game", loop=loop, sink=sink, stats=stats, link=link)
    capture.recovered = recovered
    ref.append(capture)
    return capture


def open_server_capture(
    server: tuple[str, int],
    *,
    listen: tuple[str, int],
    options: CaptureOptions,
    interval_ms: int = 1000,
    forward: tuple[str, int] | None = None,
) -> Capture:
    """Capture an acServer's plugin stream into ``options.out``."""
    sink, recovered = _sink("server", options)
    stats = CaptureStats()
    link = ServerLink(listen=listen, server=server, interval_ms=interval_ms, forward=forward)

    def on_datagram(data: bytes) -> None:
        link.on_datagram(data)
        if forward is not None:
            stats.forwarded += 1

    decoder = ServerDecoder(
        sink,
        stats,
        on_message=link.on_message,
        on_datagram=on_datagram if forward else None,
        keep_raw=options.keep_raw,
    )
    ref: list[Capture] = []
    extra = [(link.forward_sock, link.relay_requests)] if link.forward_sock is not None else []
    loop = CaptureLoop(
        [(link.receiver, decoder)], sink=sink, hooks=_hooks(ref, options, None), extra_sockets=extra
    )
    capture = Capture(mode="server", loop=loop, sink=sink, stats=stats, link=link)
    capture.recovered = recovered
    ref.append(capture)
    link.start()
    return capture
