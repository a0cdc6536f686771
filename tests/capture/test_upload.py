"""telemetry_capture.upload against moto's S3 server: only completed files, each once, with
retries through an outage, and local copies kept or deleted on request."""

from __future__ import annotations

import contextlib
import io
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
from telemetry_capture.upload import LEDGER, Uploader, UploadOptions, completed_files

from tests.capture.conftest import BUCKET, Daemon, list_keys, s3_client, wait_for
from tests.s3server import free_port

PREFIX = "landing/assetto/rig-01"


def write_parquet(path: Path, rows: int) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"x": list(range(rows))}), path)
    return path.read_bytes()


def capture_folder(out: Path) -> dict[str, bytes]:
    """A capture's folder mid-run: two completed files, and the partial ones beside them."""
    done = {
        "car_updates/server-a-00001.parquet": write_parquet(
            out / "car_updates" / "server-a-00001.parquet", 10
        ),
        "laps/server-a-00002.parquet": write_parquet(out / "laps" / "server-a-00002.parquet", 3),
    }
    (out / "car_updates" / ".server-a-00003.arrows").write_bytes(b"ARROW1 journal in progress")
    (out / "car_updates" / ".server-a-00003.parquet.tmp").write_bytes(b"PAR1 half written")
    (out / ".locks").mkdir()
    (out / ".locks" / "server-a.lock").write_text("")
    return done


def uploader(out: Path, endpoint: str, **options: Any) -> Uploader:
    settings: dict[str, Any] = {"wait_initial_s": 0.05, "wait_max_s": 0.5, **options}
    target = f"s3://{BUCKET}/{PREFIX}"
    return Uploader(out, options=UploadOptions(target=target, endpoint_url=endpoint, **settings))


def test_only_completed_files_are_candidates(tmp_path: Path) -> None:
    done = capture_folder(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in completed_files(tmp_path)] == sorted(done)


def test_completed_files_land_once_and_the_ledger_keeps_local_copies(
    tmp_path: Path, s3_endpoint: str
) -> None:
    done = capture_folder(tmp_path)
    first = uploader(tmp_path, s3_endpoint)
    assert first.upload_pending() == 2
    s3 = s3_client(s3_endpoint)
    assert list_keys(s3) == {f"{PREFIX}/{name}": body for name, body in done.items()}
    assert sorted((tmp_path / LEDGER).read_text().split()) == sorted(done)
    assert all((tmp_path / name).exists() for name in done)  # keep is the default
    # a new file appears; a restarted uploader sends only that one
    more = write_parquet(tmp_path / "laps" / "server-a-00004.parquet", 5)
    again = uploader(tmp_path, s3_endpoint)
    assert again.upload_pending() == 1
    assert again.counters.already_there == 0
    assert list_keys(s3)[f"{PREFIX}/laps/server-a-00004.parquet"] == more
    assert len(list_keys(s3)) == 3


def test_delete_mode_and_a_crash_between_upload_and_delete(
    tmp_path: Path, s3_endpoint: str
) -> None:
    done = capture_folder(tmp_path)
    keep = {name: (tmp_path / name).read_bytes() for name in done}
    up = uploader(tmp_path, s3_endpoint, local_copies="delete")
    assert up.upload_pending() == 2
    assert completed_files(tmp_path) == []
    assert (tmp_path / "car_updates" / ".server-a-00003.arrows").exists()  # not touched
    # as if the process died after the upload, before the delete: the file is back
    name = "car_updates/server-a-00001.parquet"
    (tmp_path / name).write_bytes(keep[name])
    s3 = s3_client(s3_endpoint)
    before = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")["LastModified"]
    again = uploader(tmp_path, s3_endpoint, local_copies="delete")
    assert again.upload_pending() == 0
    assert again.counters.already_there == 1  # If-None-Match: * refused an overwrite
    assert s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")["LastModified"] == before
    assert completed_files(tmp_path) == []
    assert len(list_keys(s3)) == 2


class Forwarder:
    """A TCP relay to the S3 server, started late to end an outage (no server before it)."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        target_address = target

        class Relay(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with socket.create_connection(target_address) as upstream:
                    pipes = [(self.request, upstream), (upstream, self.request)]
                    threads = [threading.Thread(target=pump, args=p, daemon=True) for p in pipes]
                    for thread in threads:
                        thread.start()
                    for thread in threads:
                        thread.join()

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    sink.shutdown(socket.SHUT_WR)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Relay)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_an_outage_is_retried_with_backoff_until_the_store_is_back(
    tmp_path: Path, s3_endpoint: str
) -> None:
    done = capture_folder(tmp_path)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"  # nothing listens there yet: the store is down
    up = uploader(tmp_path, endpoint, attempts=200)
    sent: list[int] = []
    worker = threading.Thread(target=lambda: sent.append(up.upload_pending()))
    worker.start()
    wait_for(lambda: up.counters.failures >= 2, what="failed attempts")
    assert "EndpointConnectionError" in (up.counters.last_error or "")
    assert list_keys(s3_client(s3_endpoint)) == {}
    target = urlsplit(s3_endpoint)
    relay = Forwarder(port, (target.hostname or "127.0.0.1", target.port or 80))
    try:
        worker.join(timeout=120)
    finally:
        relay.close()
    assert sent == [2]
    assert set(list_keys(s3_client(s3_endpoint))) == {f"{PREFIX}/{n}" for n in done}


def test_a_permanent_error_is_not_retried_and_the_file_stays(
    tmp_path: Path, s3_endpoint: str
) -> None:
    capture_folder(tmp_path)
    up = Uploader(tmp_path, options=UploadOptions(target="s3://no-such-bucket/x",
                                                  endpoint_url=s3_endpoint))  # fmt: skip
    assert up.upload_pending() == 0
    assert up.counters.failures == 1  # NoSuchBucket: one attempt, no retry
    assert up.counters.pending == 2
    assert len(completed_files(tmp_path)) == 2


def test_the_daemon_uploads_what_it_completes(
    run_daemon: Callable[..., Daemon], s3_endpoint: str
) -> None:
    daemon = run_daemon("--upload", f"s3://{BUCKET}/{PREFIX}", "--upload-interval", "0.5")
    s3 = s3_client(s3_endpoint)
    # files land while the capture runs (segments roll every second)
    wait_for(lambda: list_keys(s3), what="a first upload while capturing")
    summary = daemon.stop()
    local = {p.relative_to(daemon.out).as_posix(): p.read_bytes()
             for p in completed_files(daemon.out)}  # fmt: skip
    assert summary["upload"]["pending"] == 0
    assert summary["upload"]["uploaded"] == len(local) == summary["files_written"]
    remote = list_keys(s3)
    assert remote == {f"{PREFIX}/{name}": body for name, body in local.items()}
    for body in remote.values():  # every object is a whole Parquet file
        assert pq.read_table(io.BytesIO(body)).num_rows > 0
    uploaded_rows = sum(pq.read_table(io.BytesIO(b)).num_rows for b in remote.values())
    assert uploaded_rows == sum(summary["rows"].values())
