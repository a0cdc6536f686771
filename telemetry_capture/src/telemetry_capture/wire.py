"""Primitive encodings shared by both Assetto Corsa protocols.

Remote Telemetry names are fixed-size buffers ending in ``%`` followed by garbage;
the server plugin protocol uses length-prefixed ``string`` (u8 byte count, UTF-8/ASCII)
and ``stringW`` (u8 character count, UTF-32LE).
"""

from __future__ import annotations

import struct

__all__ = [
    "MessageReader",
    "ProtocolError",
    "decode_fixed_string",
    "encode_fixed_string",
    "pack_string",
    "pack_string_w",
]


class ProtocolError(ValueError):
    """A datagram that does not follow the protocol; the message is the quarantine reason."""


def decode_fixed_string(raw: bytes, *, wide: bool) -> str:
    """Decode a fixed buffer name: cut at the first ``%`` or NUL, tolerate garbage."""
    text = raw.decode("utf-16-le" if wide else "utf-8", errors="replace")
    for stop in ("%", "\x00"):
        cut = text.find(stop)
        if cut >= 0:
            text = text[:cut]
    return text


def encode_fixed_string(text: str, *, size: int, wide: bool, filler: bytes = b"") -> bytes:
    """Encode ``text`` + ``%`` into ``size`` bytes; the rest is ``filler`` (garbage) or NULs."""
    body = (text + "%").encode("utf-16-le" if wide else "utf-8")
    if len(body) > size:
        raise ValueError(f"{text!r} does not fit in {size} bytes")
    rest = size - len(body)
    pad = (filler * (rest // max(len(filler), 1) + 1))[:rest] if filler else bytes(rest)
    return body + pad


def pack_string(text: str) -> bytes:
    """``string``: u8 byte count then UTF-8 bytes (vanilla writes ASCII)."""
    data = text.encode("utf-8")
    if len(data) > 255:
        raise ValueError("string longer than 255 bytes")
    return bytes((len(data),)) + data


def pack_string_w(text: str) -> bytes:
    """``stringW``: u8 code-point count then UTF-32LE."""
    if len(text) > 255:
        raise ValueError("stringW longer than 255 characters")
    return bytes((len(text),)) + text.encode("utf-32-le")


class MessageReader:
    """Sequential little-endian reader over one datagram; raises ProtocolError when short."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, *, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def _take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise ProtocolError(
                f"truncated {what} at byte {self.pos} (need {n}, have {len(self.data) - self.pos})"
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def _unpack(self, fmt: str, what: str) -> tuple:
        return struct.unpack(fmt, self._take(struct.calcsize(fmt), what))

    def u8(self, what: str = "u8") -> int:
        return self._take(1, what)[0]

    def u16(self, what: str = "u16") -> int:
        return self._unpack("<H", what)[0]

    def i16(self, what: str = "i16") -> int:
        return self._unpack("<h", what)[0]

    def u32(self, what: str = "u32") -> int:
        return self._unpack("<I", what)[0]

    def i32(self, what: str = "i32") -> int:
        return self._unpack("<i", what)[0]

    def f32(self, what: str = "f32") -> float:
        return self._unpack("<f", what)[0]

    def vec3(self, what: str = "vec3f") -> tuple[float, float, float]:
        return self._unpack("<3f", what)  # type: ignore[return-value]

    def string(self, what: str = "string") -> str:
        n = self.u8(f"{what} length")
        return self._take(n, what).decode("utf-8", errors="replace")

    def string_w(self, what: str = "stringW") -> str:
        n = self.u8(f"{what} length")
        return self._take(4 * n, what).decode("utf-32-le", errors="replace")

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def expect_end(self, what: str) -> None:
        if self.pos != len(self.data):
            raise ProtocolError(f"{what}: {len(self.data) - self.pos} unexpected trailing bytes")
