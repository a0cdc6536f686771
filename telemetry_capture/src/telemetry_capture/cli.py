"""``telemetry-capture``: capture, replay and simulate Assetto Corsa UDP telemetry.

The CLI uses stdlib ``argparse`` on purpose: this package must install on a sim-rig PC
with only pyarrow and numpy (no typer/rich), and it imports nothing from the repo.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from telemetry_capture.daemon import Capture, CaptureOptions, open_game_capture, open_server_capture
from telemetry_capture.fake_game import FakeGame, GameSetup
from telemetry_capture.fake_server import FakeServer, ServerSetup, SessionSpec
from telemetry_capture.metrics import serve_metrics
from telemetry_capture.raw_capture import RecordingError, record_server
from telemetry_capture.replay import read_recording, replay_game, replay_server
from telemetry_capture.server_plugin import parse_address, send_request
from telemetry_capture.sink import SinkOptions, recover_journals
from telemetry_capture.upload import add_upload_arguments, add_upload_command, start_uploader

__all__ = ["main"]

log = logging.getLogger("telemetry_capture")


STOP = threading.Event()


def _on_signals() -> None:
    """SIGTERM and Ctrl-C set STOP; loops watch it and stop cleanly (flushing everything).

    Installed first thing in ``main`` so a signal during start-up is not lost.
    """

    def handler(_signum: int, _frame: Any) -> None:
        STOP.set()

    signal.signal(signal.SIGINT, handler)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, handler)


class StatusLine:
    """One refreshed line on stderr: packets/s, cars, laps, bad, dropped, files written."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._last = (0.0, 0)

    def __call__(self, capture: Capture, now: float) -> None:
        if not self.enabled:
            return
        then, received = self._last
        rate = (capture.stats.received - received) / (now - then) if then else 0.0
        self._last = (now, capture.stats.received)
        s = capture.stats
        line = (
            f"[{capture.mode} {now - capture.started:7.1f}s] {rate:9.0f} pkt/s | "
            f"cars {len(s.cars)} | "
            f"laps {s.laps} | bad {s.quarantined} | dropped {s.kernel_drops} | "
            f"files {capture.sink.counters.files_written}"
        )
        sys.stderr.write("\r" + line)
        sys.stderr.flush()


def _sink_options(args: argparse.Namespace) -> SinkOptions:
    return SinkOptions(
        flush_interval=args.flush_interval,
        roll_seconds=args.roll_seconds,
        roll_bytes=int(args.roll_mb * (1 << 20)),
        compression=args.compression,
    )


def _capture_options(args: argparse.Namespace) -> CaptureOptions:
    enabled = args.status == "always" or (args.status == "auto" and sys.stderr.isatty())
    return CaptureOptions(
        out=Path(args.out),
        capture_id=args.capture_id,
        sink=_sink_options(args),
        keep_raw=args.keep_raw,
        status=StatusLine(enabled=enabled),
    )


def _run_capture(capture: Capture, args: argparse.Namespace) -> int:
    capture.loop.stop_event = STOP
    log.info("capture %s writing to %s", capture.capture_id, args.out)
    uploader = start_uploader(Path(args.out), args) if args.upload else None
    if args.metrics:
        serve_metrics(capture, parse_address(args.metrics), uploader=uploader)
    summary = capture.run(duration=args.duration)
    if uploader is not None:
        summary["upload"] = uploader.finish()
    if args.status != "never":
        sys.stderr.write("\n")
    print(json.dumps(summary), flush=True)
    return 0


def cmd_game(args: argparse.Namespace) -> int:
    capture = open_game_capture(
        parse_address(args.game),
        options=_capture_options(args),
        bind_host=args.bind,
        retry_interval=args.retry_interval,
        silence_timeout=args.silence_timeout,
    )
    return _run_capture(capture, args)


def cmd_server(args: argparse.Namespace) -> int:
    capture = open_server_capture(
        parse_address(args.server),
        listen=parse_address(args.listen),
        options=_capture_options(args),
        interval_ms=args.interval_ms,
        forward=parse_address(args.forward) if args.forward else None,
    )
    if args.port_file:
        Path(args.port_file).write_text(str(capture.link.port))
    return _run_capture(capture, args)


def cmd_request(args: argparse.Namespace) -> int:
    fields = {
        "car-info": ("get_car_info", lambda a: {"car_id": a.car_id}),
        "session-info": ("get_session_info", lambda a: {"session_index": a.index}),
        "set-session": (
            "set_session_info",
            lambda a: {
                "session_index": a.index,
                "name": a.name,
                "type": a.type,
                "laps": a.laps,
                "time_s": a.time_s,
                "wait_time_s": a.wait_time_s,
            },
        ),
        "chat": ("send_chat", lambda a: {"car_id": a.car_id, "message": a.message}),
        "broadcast": ("broadcast_chat", lambda a: {"message": a.message}),
        "kick": ("kick_user", lambda a: {"car_id": a.car_id}),
        "next-session": ("next_session", lambda a: {}),
        "restart-session": ("restart_session", lambda a: {}),
        "admin": ("admin_command", lambda a: {"command": a.command}),
        "interval": ("realtimepos_interval", lambda a: {"interval_ms": a.interval_ms}),
    }
    name, build = fields[args.request]
    send_request(parse_address(args.server), name, **build(args))
    print(json.dumps({"sent": name, "to": args.server}))
    return 0


def _fail(command: str, message: str, *, code: int = 2) -> int:
    """One line on stderr, no traceback: for input the user can fix."""
    sys.stderr.write(f"telemetry-capture {command}: error: {message}\n")
    return code


def cmd_replay(args: argparse.Namespace) -> int:
    try:
        table = read_recording(Path(args.capture))
        protocols = set(table.column("protocol").unique().to_pylist())
        if protocols == {"server"}:
            if not args.to:
                return _fail("replay", "a server recording needs --to HOST:PORT (the plugin)")
            stats = replay_server(table, to=parse_address(args.to), speed=args.speed)
        elif protocols == {"game"}:
            stats = replay_game(table, bind=parse_address(args.listen), speed=args.speed)
        else:
            return _fail("replay", f"cannot replay a recording of protocols {sorted(protocols)}")
    except RecordingError as exc:
        return _fail("replay", str(exc))
    except TimeoutError as exc:
        return _fail("replay", str(exc), code=1)
    print(
        json.dumps(
            {"sent": stats.sent, "skipped": stats.skipped, "seconds": round(stats.seconds, 3)}
        )
    )
    return 0


def _sessions(text: str) -> list[SessionSpec]:
    """``Name:type:seconds[:laps]`` separated by commas, e.g. ``Qualify:2:30,Race:3:60``."""
    specs = []
    for part in text.split(","):
        name, kind, seconds, *laps = part.split(":")
        specs.append(
            SessionSpec(
                name=name, type=int(kind), seconds=float(seconds), laps=int(laps[0]) if laps else 0
            )
        )
    return specs


def cmd_simulate(args: argparse.Namespace) -> int:
    if args.target == "game":
        game = FakeGame(
            bind=parse_address(args.bind),
            setup=GameSetup(rate_hz=args.rate, time_scale=args.time_scale, driver_name=args.driver),
        )
        game.stop_event = STOP
        if args.port_file:
            Path(args.port_file).write_text(str(game.address[1]))
        counters = game.run(duration=args.duration)
        print(
            json.dumps(
                {
                    "handshakes": counters.handshakes,
                    "updates_sent": counters.updates_sent,
                    "laps_sent": counters.laps_sent,
                    "laps": counters.laps,
                }
            )
        )
        return 0
    from telemetry_capture.fake_server import DriverChange  # local: the import block is shared

    server = FakeServer(
        plugin=parse_address(args.plugin),
        bind=parse_address(args.bind),
        setup=ServerSetup(
            cars=args.cars,
            sessions=_sessions(args.sessions),
            time_scale=args.time_scale,
            seed=args.seed,
            driver_changes=[DriverChange.parse(c) for c in args.driver_change],
        ),
    )
    server.stop_event = STOP
    if args.port_file:
        Path(args.port_file).write_text(str(server.address[1]))
    counters = server.run(duration=args.duration)
    print(json.dumps({"sent": counters.sent, "requests": [name for name, _ in counters.requests]}))
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    out = Path(args.out)
    on_ready = (lambda port: Path(args.port_file).write_text(str(port))) if args.port_file else None
    count = record_server(
        out,
        listen=parse_address(args.listen),
        server=parse_address(args.server) if args.server else None,
        interval_ms=args.interval_ms,
        duration=args.duration,
        stop=STOP,
        on_ready=on_ready,
    )
    print(json.dumps({"datagrams": count, "out": str(out)}))
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    files = recover_journals(Path(args.out))
    print(json.dumps({"recovered": [str(f) for f in files]}))
    return 0


def _output_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder (one sub-folder per message kind)")
    p.add_argument("--capture-id", default=None, help="default: <mode>-<utc time>-<random>")
    p.add_argument(
        "--flush-interval", type=float, default=1.0, help="seconds; bounds the loss on a crash"
    )
    p.add_argument(
        "--roll-seconds", type=float, default=60.0, help="close a file after this many seconds"
    )
    p.add_argument("--roll-mb", type=float, default=64.0, help="close a file after this many MiB")
    p.add_argument("--compression", default="zstd")
    p.add_argument("--keep-raw", action="store_true", help="also keep every datagram (for replay)")
    p.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    p.add_argument("--status", choices=("auto", "always", "never"), default="auto")
    p.add_argument("--metrics", default=None, metavar="HOST:PORT", help="serve /metrics here")
    add_upload_arguments(p)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="telemetry-capture", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    game = sub.add_parser("game", help="capture a game's Remote Telemetry (UDP 9996)")
    game.add_argument("--game", default="127.0.0.1:9996", help="the game PC, host:port")
    game.add_argument("--bind", default=None, help="local address (default: the route to the game)")
    game.add_argument("--retry-interval", type=float, default=1.0)
    game.add_argument("--silence-timeout", type=float, default=3.0)
    _output_args(game)
    game.set_defaults(func=cmd_game)

    server = sub.add_parser("server", help="act as an acServer UDP plugin and capture it")
    server.add_argument(
        "--listen", default="127.0.0.1:12000", help="UDP_PLUGIN_ADDRESS (where we listen)"
    )
    server.add_argument(
        "--server", default="127.0.0.1:11000", help="UDP_PLUGIN_LOCAL_PORT of the server"
    )
    server.add_argument(
        "--interval-ms", type=int, default=1000, help="CAR_UPDATE interval (0 = off)"
    )
    server.add_argument(
        "--forward", default=None, help="forward every datagram to this plugin host:port"
    )
    server.add_argument("--port-file", default=None, help="write the bound plugin port here")
    _output_args(server)
    server.set_defaults(func=cmd_server)

    req = sub.add_parser("request", help="send one plugin request to an acServer")
    req.add_argument("--server", default="127.0.0.1:11000")
    rsub = req.add_subparsers(dest="request", required=True)
    rsub.add_parser("car-info").add_argument("car_id", type=int)
    rsub.add_parser("session-info").add_argument("--index", type=int, default=-1)
    setp = rsub.add_parser("set-session")
    for name, kind in (
        ("index", int),
        ("name", str),
        ("type", int),
        ("laps", int),
        ("time_s", int),
        ("wait_time_s", int),
    ):
        setp.add_argument(name, type=kind)
    chat = rsub.add_parser("chat")
    chat.add_argument("car_id", type=int)
    chat.add_argument("message")
    rsub.add_parser("broadcast").add_argument("message")
    rsub.add_parser("kick").add_argument("car_id", type=int)
    rsub.add_parser("next-session")
    rsub.add_parser("restart-session")
    rsub.add_parser("admin").add_argument("command")
    rsub.add_parser("interval").add_argument("interval_ms", type=int)
    req.set_defaults(func=cmd_request)

    record = sub.add_parser(
        "record", help="record an acServer's plugin datagrams into a raw capture file"
    )
    record.add_argument("--listen", default="127.0.0.1:12000", help="UDP_PLUGIN_ADDRESS")
    record.add_argument("--server", default=None, help="ask this server for car updates")
    record.add_argument("--interval-ms", type=int, default=1000, help="CAR_UPDATE interval")
    record.add_argument("--out", required=True, help="the raw capture file to write")
    record.add_argument("--duration", type=float, default=None)
    record.add_argument("--port-file", default=None, help="write the bound plugin port here")
    record.set_defaults(func=cmd_record)

    replay = sub.add_parser("replay", help="re-send a recording (raw capture file or --keep-raw)")
    replay.add_argument(
        "capture", help="a raw capture file, or a capture folder recorded with --keep-raw"
    )
    replay.add_argument("--to", default=None, help="server captures: plugin host:port to send to")
    replay.add_argument(
        "--listen", default="127.0.0.1:9996", help="game captures: serve as the game here"
    )
    replay.add_argument(
        "--speed", type=float, default=1.0, help="1 = original speed, 4 = 4x, 0 = flat out"
    )
    replay.set_defaults(func=cmd_replay)

    sim = sub.add_parser("simulate", help="run a fake game or a fake acServer")
    ssub = sim.add_subparsers(dest="target", required=True)
    fg = ssub.add_parser("game")
    fg.add_argument("--bind", default="127.0.0.1:9996")
    fg.add_argument("--rate", type=float, default=333.0, help="RTCarInfo per second")
    fg.add_argument("--driver", default="Sim Driver")
    fs = ssub.add_parser("server")
    fs.add_argument("--bind", default="127.0.0.1:11000")
    fs.add_argument("--plugin", default="127.0.0.1:12000")
    fs.add_argument("--cars", type=int, default=6)
    fs.add_argument(
        "--sessions", default="Race:3:60", help="Name:type:seconds[:laps],... (1 P, 2 Q, 3 R)"
    )
    fs.add_argument("--seed", type=int, default=11)
    fs.add_argument(
        "--driver-change",
        action="append",
        default=[],
        metavar="CAR:SECONDS:NAME[:GUID]",
        help="hand a car slot to a new driver after SECONDS simulated seconds (repeatable)",
    )
    for p in (fg, fs):
        p.add_argument(
            "--time-scale", type=float, default=1.0, help=">1 runs the simulation faster"
        )
        p.add_argument("--duration", type=float, default=None)
        p.add_argument("--port-file", default=None)
    sim.set_defaults(func=cmd_simulate)

    rec = sub.add_parser("recover", help="turn journals of crashed captures into Parquet files")
    rec.add_argument("out")
    rec.set_defaults(func=cmd_recover)
    add_upload_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    _on_signals()
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    started = time.monotonic()
    code = args.func(args)
    log.debug("done in %.2f s", time.monotonic() - started)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
