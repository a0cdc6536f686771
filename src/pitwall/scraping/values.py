"""Text -> typed values for scraped columns. Each parser raises ``ValueError`` with a short
reason on malformed text; the validation pipeline turns that into a quarantine reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from pitwall.scraping.config import ColumnType

Value = str | int | float | None
_WS = re.compile(r"\s+")
_DURATION = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d{1,2})(?:\.(\d{1,3}))?$")
_NUMBER_GROUPING = re.compile(r"(?<=\d)[,_\s'](?=\d{3}\b)")


def clean_text(text: str | None) -> str | None:
    """Collapse whitespace; empty text is None."""
    if text is None:
        return None
    cleaned = _WS.sub(" ", text).strip()
    return cleaned or None


def parse_int(text: str) -> int:
    digits = _NUMBER_GROUPING.sub("", text)
    try:
        return int(digits)
    except ValueError:
        raise ValueError(f"malformed integer {text!r}") from None


def parse_float(text: str) -> float:
    try:
        return float(_NUMBER_GROUPING.sub("", text))
    except ValueError:
        raise ValueError(f"malformed number {text!r}") from None


def parse_duration_ms(text: str) -> int:
    """``"1:42.345"``, ``"42.3"`` or ``"1:02:03.456"`` -> milliseconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"malformed duration {text!r}")
    hours, minutes, seconds, fraction = match.groups()
    ms = int((fraction or "0").ljust(3, "0"))
    return ((int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds)) * 1000 + ms


def parse_date(text: str) -> str:
    """An ISO date (kept as ``yyyy-mm-dd`` text in the feed; CLEAN types it)."""
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(f"malformed date {text!r}") from None


PARSERS: dict[ColumnType, Callable[[str], Value]] = {
    "string": str,
    "int": parse_int,
    "float": parse_float,
    "date": parse_date,
    "duration_ms": parse_duration_ms,
}


def parse_value(text: str | None, kind: ColumnType) -> Value:
    """Clean ``text`` and parse it as ``kind``; None stays None."""
    cleaned = clean_text(text)
    return None if cleaned is None else PARSERS[kind](cleaned)
