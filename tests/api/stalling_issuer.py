"""An OIDC issuer on a real loopback socket that answers, or accepts and never answers.

Answering, it serves the discovery document and the JWKS of a :class:`SandboxIssuer` (one
HTTP/1.1 request per connection). Once ``stall()`` is called it accepts every connection and
holds it open without a byte in reply, like an identity provider that hangs, until ``release()``
closes the held connections (the client sees the connection drop) and answers again.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import orjson

from sandbox.oidc import SandboxIssuer


class StallingIssuer:
    def __init__(self, issuer: SandboxIssuer) -> None:
        self.issuer = issuer
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/realms/{issuer.realm}"
        self._lock = threading.Lock()
        self._stalled = False
        self._held: list[socket.socket] = []
        self.stalled_connections = 0
        self.answered = 0
        self._thread = threading.Thread(target=self._accept, name="stalling-issuer", daemon=True)

    def __enter__(self) -> StallingIssuer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._sock.close()
        self.release()

    def stall(self) -> None:
        with self._lock:
            self._stalled = True

    def release(self) -> None:
        with self._lock:
            self._stalled = False
            held, self._held = self._held, []
        for conn in held:
            conn.close()

    def held(self) -> int:
        """Connections accepted while stalled and still open (requests still waiting)."""
        with self._lock:
            return len(self._held)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                if self._stalled:
                    self._held.append(conn)
                    self.stalled_connections += 1
                    continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode()
            if path.endswith("/.well-known/openid-configuration"):
                body = orjson.dumps({"issuer": self.url, "jwks_uri": f"{self.url}/certs"})
                status = b"200 OK"
            elif path.endswith("/certs"):
                body, status = orjson.dumps(self.issuer.keys.jwks()), b"200 OK"
            else:
                body, status = b"{}", b"404 Not Found"
            head = (
                b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
            )
            conn.sendall(head + body)
            with self._lock:
                self.answered += 1
