"""Server mode over real UDP: fake acServer (N cars) -> capture daemon (CLI) -> Parquet."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from pathlib import Path

from capture_helpers import hidden_leftovers, read_kind, read_port, start_cli, stop_cli, wait_for
from telemetry_capture.fake_server import FakeServer, ServerSetup, SessionSpec, compute_leaderboard
from telemetry_capture.server_plugin import send_request
from telemetry_capture.server_protocol import decode_server_message


def _run(server: FakeServer) -> threading.Thread:
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return thread


def _daemon(tmp_path: Path, server_port: int, *extra: str) -> tuple:
    port_file = tmp_path / "plugin.port"
    out = tmp_path / "server"
    proc = start_cli(
        "server",
        "--listen",
        "127.0.0.1:0",
        "--server",
        f"127.0.0.1:{server_port}",
        "--interval-ms",
        "100",
        "--out",
        str(out),
        "--port-file",
        str(port_file),
        "--status",
        "never",
        *extra,
    )
    return proc, out, read_port(port_file)


def test_session_flow_laps_leaderboard_collisions_and_requests(tmp_path: Path) -> None:
    setup = ServerSetup(
        cars=4,
        empty_slots=2,
        sessions=[SessionSpec("Qualify", 2, seconds=60.0), SessionSpec("Race", 3, laps=2)],
        track="ks_red_bull_ring",
        time_scale=30.0,
        collision_rate=0.3,
    )
    bind = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    bind.bind(("127.0.0.1", 0))
    server_port = bind.getsockname()[1]
    bind.close()
    proc, out, plugin_port = _daemon(tmp_path, server_port)
    server = FakeServer(
        plugin=("127.0.0.1", plugin_port), bind=("127.0.0.1", server_port), setup=setup
    )
    thread = _run(server)
    wait_for(lambda: all(c.loaded for c in server.cars), what="cars loaded")
    addr = ("127.0.0.1", server_port)
    send_request(addr, "get_car_info", car_id=1)
    send_request(addr, "get_session_info", session_index=-1)
    send_request(addr, "kick_user", car_id=40)
    send_request(addr, "send_chat", car_id=2, message="box this lap")
    send_request(addr, "broadcast_chat", message="welcome")
    cli = start_cli("request", "--server", f"127.0.0.1:{server_port}", "car-info", "2")
    assert cli.wait(timeout=30) == 0
    wait_for(lambda: server.counters.sent.get("car_info", 0) >= 2, what="car info replies")
    thread.join(timeout=60)
    assert not thread.is_alive()
    summary = stop_cli(proc)

    sent = server.counters.sent
    rows = {kind: read_kind(out, kind) for kind in sent}
    # nothing lost, nothing doubled: every message the server sent is one row
    for kind, count in sent.items():
        assert rows[kind].num_rows == count, kind
    assert summary["quarantined"] == 0 and hidden_leftovers(out) == []
    assert summary["cars"] == 4

    # the plugin asked for car updates at start and after VERSION and every NEW_SESSION
    intervals = [args for name, args in server.counters.requests if name == "realtimepos_interval"]
    assert len(intervals) >= 1 + sent["new_session"] and all(
        a["interval_ms"] == 100 for a in intervals
    )
    assert server.interval_ms == 100

    # session flow: VERSION, NEW_SESSION, then per car NEW_CONNECTION before CLIENT_LOADED
    first = {kind: rows[kind].column("received_at")[0].as_py() for kind in sent}
    assert (
        first["version"]
        <= first["new_session"]
        <= first["new_connection"]
        <= first["client_loaded"]
    )
    assert first["client_loaded"] <= first["car_update"]
    sessions = rows["new_session"].column("session_name").to_pylist()
    assert sessions == ["Qualify", "Race"]
    assert rows["new_session"].column("track_config").to_pylist() == ["layout_gp"] * 2
    ends = rows["end_session"].column("received_at").to_pylist()
    starts = rows["new_session"].column("received_at").to_pylist()
    assert starts[0] < ends[0] < starts[1] < ends[1]
    assert rows["connection_closed"].num_rows == 4

    # requests were honoured
    infos = rows["car_info"].to_pylist()
    assert [i["car_id"] for i in infos] == [1, 2] and infos[0]["driver_name"] == server.cars[
        1
    ].driver_name
    assert rows["session_info"].column("session_name").to_pylist() == ["Qualify"]
    assert rows["error"].column("message").to_pylist() == [
        "ERROR: ACSP_KICK_USER index 40 out of bound"
    ]
    assert server.counters.chats_to_cars == [(2, "box this lap"), (None, "welcome")]

    # leaderboards: recompute from the captured laps of each session
    laps = rows["lap_completed"].to_pylist()
    assert laps
    by_session: dict[int, list[dict]] = {0: [], 1: []}
    for lap in laps:
        by_session[int(lap["received_at"] > starts[1])].append(lap)
    for index, session_laps in by_session.items():
        history: dict[int, list[tuple[int, int]]] = {}
        finished: set[int] = set()
        for lap in session_laps:
            history.setdefault(lap["car_id"], []).append((lap["lap_time"], lap["cuts"]))
            finished |= {e["car_id"] for e in lap["leaderboard"] if e["has_completed"]}
            want = compute_leaderboard(
                history, slots=6, session_type=(2, 3)[index], finished=finished
            )
            assert lap["leaderboard"] == want
    race = by_session[1]
    assert {lap["car_id"] for lap in race} == {0, 1, 2, 3} and len(race) == 8  # 2 laps each
    assert all(e["has_completed"] for e in race[-1]["leaderboard"] if e["car_id"] < 4)

    # collisions: car-to-car contacts come twice with ids swapped, env ones once
    events = rows["client_event"].to_pylist()
    kinds = Counter(e["event_type"] for e in events)
    assert kinds[10] % 2 == 0 and kinds[10] > 0 and kinds[11] > 0
    car_events = [e for e in events if e["event_type"] == 10]
    for a, b in zip(car_events[::2], car_events[1::2], strict=True):
        assert (a["car_id"], a["other_car_id"]) == (b["other_car_id"], b["car_id"])
    assert all(e["other_car_id"] is None for e in events if e["event_type"] == 11)


def test_admin_next_session_kick_and_forwarding_with_relay(tmp_path: Path) -> None:
    downstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    downstream.bind(("127.0.0.1", 0))
    downstream.settimeout(5)
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    holder.bind(("127.0.0.1", 0))
    server_port = holder.getsockname()[1]
    holder.close()
    proc, out, plugin_port = _daemon(
        tmp_path, server_port, "--forward", f"127.0.0.1:{downstream.getsockname()[1]}", "--keep-raw"
    )
    setup = ServerSetup(
        cars=3,
        sessions=[SessionSpec("Practice", 1, seconds=600), SessionSpec("Race", 3, laps=50)],
        time_scale=4.0,
    )
    server = FakeServer(
        plugin=("127.0.0.1", plugin_port), bind=("127.0.0.1", server_port), setup=setup
    )
    thread = _run(server)
    wait_for(lambda: all(c.loaded for c in server.cars), what="cars loaded")
    # the chained plugin's request goes back through the daemon's forward socket
    forwarded = []
    data, relay = downstream.recvfrom(65535)
    forwarded.append(data)
    downstream.sendto(bytes([201, 0]), relay)  # ACSP_GET_CAR_INFO car 0
    send_request(("127.0.0.1", server_port), "admin_command", command="/next_session")
    send_request(("127.0.0.1", server_port), "kick_user", car_id=2)
    wait_for(
        lambda: server.session_index == 1 and server.counters.sent.get("car_info"),
        what="admin + relay",
    )
    server.stop()
    thread.join(timeout=30)
    summary = stop_cli(proc)
    downstream.settimeout(0.5)
    try:
        while True:
            forwarded.append(downstream.recv(65535))
    except TimeoutError:
        pass
    raw = read_kind(out, "raw")
    assert forwarded == raw.column("raw").to_pylist()  # every datagram, unchanged, in order
    assert summary["forwarded"] == len(forwarded) == summary["received"]
    assert [decode_server_message(d)[0] for d in forwarded].count("car_info") == 1
    assert read_kind(out, "new_session").column("session_name").to_pylist() == ["Practice", "Race"]
    closed = read_kind(out, "connection_closed").column("car_id").to_pylist()
    assert closed[0] == 2 and sorted(closed) == [0, 1, 2]
