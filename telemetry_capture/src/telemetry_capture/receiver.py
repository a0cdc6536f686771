"""The hot path: drain a non-blocking UDP socket into preallocated slots.

Per datagram the loop does one ``recv_into`` into a fixed slot of a big bytearray and
stores the size and the receive time (``time.time_ns``); nothing is decoded here.
Decoding happens later on the whole ring at once (numpy), which is what lets the
capture keep up with a bare recv loop (see ARCHITECTURE.md: per-datagram
``struct.unpack`` alone costs ~40% of the rate).
"""

from __future__ import annotations

import contextlib
import os
import socket
import time

__all__ = ["Receiver", "open_udp_socket", "read_kernel_drops"]

RCVBUF_BYTES = 8 << 20


def open_udp_socket(
    bind: tuple[str, int] | None,
    *,
    connect: tuple[str, int] | None = None,
    rcvbuf: int = RCVBUF_BYTES,
) -> socket.socket:
    """A non-blocking UDP socket with a large receive buffer (the kernel may cap it).

    ``connect`` fixes the peer: the kernel then drops datagrams from anyone else.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with contextlib.suppress(OSError):  # the kernel caps it at rmem_max anyway
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    if bind is not None:  # None + connect: the OS picks the interface that routes to the peer
        sock.bind(bind)
    if connect is not None:
        sock.connect(connect)
    sock.setblocking(False)
    return sock


def format_addr(addr: tuple[str, int]) -> str:
    return f"{addr[0]}:{addr[1]}"


class Receiver:
    """Datagrams of one socket, received into ``slots`` fixed-size slots.

    A connected socket (game mode) knows its peer, so ``recv_into`` is used and
    ``source`` is fixed; otherwise ``recvfrom_into`` records each sender.
    A datagram that fills its slot may have been truncated: the decoders quarantine it.
    """

    def __init__(
        self, sock: socket.socket, *, role: str, slots: int = 4096, slot_size: int = 1024
    ) -> None:
        self.sock = sock
        self.role = role
        self.slot_size = slot_size
        self.capacity = slots
        self.buffer = bytearray(slots * slot_size)
        view = memoryview(self.buffer)
        self.views = [view[i * slot_size : (i + 1) * slot_size] for i in range(slots)]
        self.sizes = [0] * slots
        self.stamps = [0] * slots
        self.addrs: list[tuple[str, int] | None] = [None] * slots
        self.count = 0
        self.first_rx = 0.0
        self.last_rx = time.monotonic()
        try:
            peer = sock.getpeername()
        except OSError:
            peer = None
        self.connected = peer is not None
        self.source = format_addr(peer) if peer else ""

    def drain(self) -> int:
        """Receive until the socket is empty or the ring is full; return how many arrived."""
        start = i = self.count
        capacity = self.capacity
        views, sizes, stamps = self.views, self.sizes, self.stamps
        clock = time.time_ns
        try:
            if self.connected:
                recv_into = self.sock.recv_into
                while i < capacity:
                    sizes[i] = recv_into(views[i])
                    stamps[i] = clock()
                    i += 1
            else:
                recvfrom_into = self.sock.recvfrom_into
                addrs = self.addrs
                while i < capacity:
                    sizes[i], addrs[i] = recvfrom_into(views[i])
                    stamps[i] = clock()
                    i += 1
        except (BlockingIOError, InterruptedError):
            pass
        except ConnectionError:  # ICMP port unreachable from an absent game (Linux/Windows)
            pass
        got = i - start
        if got:
            now = time.monotonic()
            if start == 0:
                self.first_rx = now
            self.last_rx = now
            self.count = i
        return got

    def datagram(self, i: int) -> bytes:
        offset = i * self.slot_size
        return bytes(self.buffer[offset : offset + self.sizes[i]])

    def source_of(self, i: int) -> str:
        if self.connected:
            return self.source
        addr = self.addrs[i]
        return format_addr(addr) if addr else ""

    def reset(self) -> None:
        self.count = 0


def read_kernel_drops(sock: socket.socket) -> int | None:
    """Datagrams the kernel dropped for this socket (Linux ``/proc/net/udp``), else None."""
    try:
        port = sock.getsockname()[1]
        inode = str(os.fstat(sock.fileno()).st_ino)
        with open("/proc/net/udp") as handle:
            for line in handle.readlines()[1:]:
                parts = line.split()
                if (
                    len(parts) >= 13
                    and parts[9] == inode
                    and int(parts[1].split(":")[1], 16) == port
                ):
                    return int(parts[12])
    except (OSError, ValueError, IndexError):
        return None
    return None
