"""The hot path: drain a non-blocking UDP socket into preallocated slots.

Per datagram the loop does one ``recv_into`` into a fixed slot of a big bytearray and
stores the size and the receive time (``time.time_ns``); nothing is decoded here.
Decoding happens later on the whole ring at once (numpy), which is what lets the
capture keep up with a bare recv loop (see ARCHITECTURE.md: per-datagram
``struct.unpack`` alone costs ~40% of the rate).

True sizes: a datagram longer than its slot is cut to the slot by the kernel. On Linux the
receive calls pass ``MSG_TRUNC``, which makes them return the datagram's real length (the
slot keeps its first bytes), so ``sizes`` holds every datagram's true size and a longer-than-
slot one is known as such. Elsewhere (Windows, macOS) a receive cannot tell the real length
(Windows even fails the call), so the ring uses slots of the largest UDP payload instead
(``wide`` measure: nothing is ever cut, fewer slots keep the ring's memory bounded).
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
from typing import Literal

__all__ = ["MAX_DATAGRAM", "Receiver", "SizeMeasure", "open_udp_socket", "read_kernel_drops"]

RCVBUF_BYTES = 8 << 20
MAX_DATAGRAM = 65536  # > the largest UDP payload (65507 bytes over IPv4)
WIDE_RING_BYTES = 16 << 20
SizeMeasure = Literal["msg_trunc", "wide"]
DEFAULT_MEASURE: SizeMeasure = (
    "msg_trunc" if sys.platform.startswith("linux") and hasattr(socket, "MSG_TRUNC") else "wide"
)


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
    ``sizes`` are true sizes (see the module docstring); a datagram longer than its slot
    (:meth:`truncated`) keeps its first ``slot_size`` bytes and the decoders quarantine it.
    """

    def __init__(
        self,
        sock: socket.socket,
        *,
        role: str,
        slots: int = 4096,
        slot_size: int = 1024,
        measure: SizeMeasure = DEFAULT_MEASURE,
    ) -> None:
        if measure == "wide" and slot_size < MAX_DATAGRAM:
            slot_size = MAX_DATAGRAM
            slots = max(16, min(slots, WIDE_RING_BYTES // slot_size))
        self.sock = sock
        self.role = role
        self.measure = measure
        self._flags = socket.MSG_TRUNC if measure == "msg_trunc" else 0
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
        views, sizes, stamps, flags = self.views, self.sizes, self.stamps, self._flags
        clock = time.time_ns
        try:
            if self.connected:
                recv_into = self.sock.recv_into
                while i < capacity:
                    sizes[i] = recv_into(views[i], 0, flags)
                    stamps[i] = clock()
                    i += 1
            else:
                recvfrom_into = self.sock.recvfrom_into
                addrs = self.addrs
                while i < capacity:
                    sizes[i], addrs[i] = recvfrom_into(views[i], 0, flags)
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
        """The bytes of datagram ``i`` (its first ``slot_size`` bytes if it was longer)."""
        offset = i * self.slot_size
        return bytes(self.buffer[offset : offset + min(self.sizes[i], self.slot_size)])

    def truncated(self, i: int) -> bool:
        """Whether datagram ``i`` was longer than its slot (``sizes[i]`` is its real size)."""
        return self.sizes[i] > self.slot_size

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
