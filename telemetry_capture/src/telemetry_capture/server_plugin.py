"""Server mode: act as an acServer UDP plugin and capture everything it sends.

The daemon listens on the plugin port (``UDP_PLUGIN_ADDRESS``), asks for car updates
with ACSP_REALTIMEPOS_INTERVAL at start and again after every NEW_SESSION or VERSION
(and for the running session's SESSION_INFO at start),
and optionally forwards every datagram unchanged to a chained plugin, relaying that
plugin's requests back to the server.
"""

from __future__ import annotations

import logging
import socket
from typing import Any

from telemetry_capture.receiver import MAX_DATAGRAM, Receiver, open_udp_socket
from telemetry_capture.server_protocol import encode_request

__all__ = ["ServerLink", "parse_address", "send_request"]

log = logging.getLogger(__name__)


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` -> ``(ip, port)``."""
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ValueError(f"expected host:port, got {text!r}")
    return socket.gethostbyname(host or "127.0.0.1"), int(port)


class ServerLink:
    """The plugin side of one acServer."""

    def __init__(
        self,
        *,
        listen: tuple[str, int],
        server: tuple[str, int],
        interval_ms: int = 1000,
        forward: tuple[str, int] | None = None,
    ) -> None:
        self.server = server
        self.interval_ms = interval_ms
        # slots of the largest UDP payload: a datagram is never cut, whatever its size
        self.receiver = Receiver(
            open_udp_socket(listen), role="plugin", slots=256, slot_size=MAX_DATAGRAM
        )
        self.forward_to = forward
        self.forward_sock = open_udp_socket((listen[0], 0)) if forward else None
        self.requests_sent = 0
        self.relayed = 0

    @property
    def port(self) -> int:
        return self.receiver.sock.getsockname()[1]

    def send(self, name: str, /, **args: Any) -> None:
        """Send one request to the server from the plugin port."""
        try:
            self.receiver.sock.sendto(encode_request(name, **args), self.server)
            self.requests_sent += 1
        except OSError as exc:
            log.warning("request %s to %s failed: %s", name, self.server, exc)

    def start(self) -> None:
        """Ask for car updates, and for the session already running (a SESSION_INFO reply
        describes it when the daemon starts mid-session)."""
        if self.interval_ms > 0:
            self.send("realtimepos_interval", interval_ms=self.interval_ms)
        self.send("get_session_info", session_index=-1)

    def on_message(self, kind: str, _row: dict[str, Any]) -> None:
        if kind in ("new_session", "version") and self.interval_ms > 0:
            self.send("realtimepos_interval", interval_ms=self.interval_ms)

    def on_datagram(self, data: bytes) -> None:
        if self.forward_sock is not None and self.forward_to is not None:
            try:
                self.forward_sock.sendto(data, self.forward_to)
            except OSError as exc:
                log.debug("forward failed: %s", exc)

    def relay_requests(self) -> None:
        """Pass requests from the chained plugin on to the server."""
        if self.forward_sock is None:
            return
        while True:
            try:
                data = self.forward_sock.recv(65535)
            except (BlockingIOError, InterruptedError, ConnectionError):
                return
            try:
                self.receiver.sock.sendto(data, self.server)
                self.relayed += 1
            except OSError as exc:
                log.debug("relay failed: %s", exc)

    def close(self) -> None:
        self.receiver.sock.close()
        if self.forward_sock is not None:
            self.forward_sock.close()


def send_request(server: tuple[str, int], name: str, /, **args: Any) -> None:
    """Send one request to an acServer from a fresh socket (the reply goes to its plugin)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(encode_request(name, **args), server)
