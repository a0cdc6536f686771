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
    "decode_utf32",
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


def decode_utf32(raw: bytes) -> tuple[str, bool]:
    """UTF-32LE text and whether it was valid. Invalid text is repaired, not refused: a
    surrogate pair written as two code units (a server counting UTF-16 units, reference
    B.9) becomes its character, and every other invalid unit (a lone surrogate, a value above
    U+10FFFF, a cut unit) becomes U+FFFD."""
    try:
        return raw.decode("utf-32-le"), True
    except UnicodeDecodeError:
        pass
    units = [int.from_bytes(raw[i : i + 4], "little") for i in range(0, len(raw) - 3, 4)]
    out: list[str] = []
    i = 0
    while i < len(units):
        unit = units[i]
        low = units[i + 1] if i + 1 < len(units) else 0
        if 0xD800 <= unit < 0xDC00 and 0xDC00 <= low < 0xE000:
            out.append(chr(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)))
            i += 2
            continue
        out.append("\ufffd" if 0xD800 <= unit < 0xE000 or unit > 0x10FFFF else chr(unit))
        i += 1
    if len(raw) % 4:
        out.append("\ufffd")
    return "".join(out), False


def pack_string_w(text: str) -> bytes:
    """``stringW``: u8 code-point count then UTF-32LE."""
    if len(text) > 255:
        raise ValueError("stringW longer than 255 characters")
    return bytes((len(text),)) + text.encode("utf-32-le")


class MessageReader:
    """Sequential little-endian reader over one datagram; raises ProtocolError when short."""

    __slots__ = ("data", "invalid", "pos")

    def __init__(self, data: bytes, *, pos: int = 0) -> None:
        self.data = data
        self.pos = pos
        self.invalid: dict[str, bytes] = {}  # stringW fields that were not valid UTF-32

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
        """A stringW; invalid text is repaired (:func:`decode_utf32`) and its original bytes
        kept in ``invalid[what]``."""
        n = self.u8(f"{what} length")
        raw = self._take(4 * n, what)
        text, valid = decode_utf32(raw)
        if not valid:
            self.invalid[what] = raw
        return text

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def expect_end(self, what: str) -> None:
        if self.pos != len(self.data):
            raise ProtocolError(f"{what}: {len(self.data) - self.pos} unexpected trailing bytes")
