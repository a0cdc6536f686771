"""Turn user-supplied filter and cursor values into typed Python values for a column."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from pitwall.queries.schema import Column

Scalar = str | int | float | bool | None
MAX_TEXT_LENGTH = 1_000
_INT = re.compile(r"^[+-]?\d{1,20}$")
_INT64 = (-(2**63), 2**63 - 1)


class QueryError(ValueError):
    """A request the table cannot answer: unknown column, bad operator, unparsable value..."""


def parse_value(raw: Scalar, column: Column) -> object:
    """``raw`` (query-string text or a JSON scalar) as a value of ``column``'s kind.

    Raises:
        QueryError: the value does not parse, is out of range, or the column is not scalar.
    """
    if raw is None:
        return None
    kind = column.kind
    try:
        match kind:
            case "bool":
                return _parse_bool(raw)
            case "int":
                return _parse_int(raw)
            case "float":
                return _parse_float(raw)
            case "decimal":
                return _parse_decimal(raw)
            case "str":
                return _parse_text(raw)
            case "date":
                return date.fromisoformat(_text(raw))
            case "timestamp":
                return _parse_datetime(raw, aware=False)
            case "timestamptz":
                return _parse_datetime(raw, aware=True)
            case None:
                raise QueryError(f"column {column.name!r} ({column.sql_type}) is not filterable")
    except (TypeError, ValueError, InvalidOperation, OverflowError) as exc:
        if isinstance(exc, QueryError):
            raise
        raise QueryError(f"{raw!r} is not a valid {kind} for column {column.name!r}") from exc


def _text(raw: Scalar) -> str:
    if not isinstance(raw, str):
        raise TypeError("expected text")
    return raw


def _parse_bool(raw: Scalar) -> bool:
    if isinstance(raw, bool):
        return raw
    lowered = str(raw).strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError("not a boolean")


def _parse_int(raw: Scalar) -> int:
    if isinstance(raw, bool | float):
        raise TypeError("not an integer")
    text = str(raw).strip()
    if not _INT.match(text):
        raise ValueError("not an integer")
    value = int(text)
    if not _INT64[0] <= value <= _INT64[1]:
        raise OverflowError("out of the 64-bit range")
    return value


def _parse_float(raw: Scalar) -> float:
    if isinstance(raw, bool):
        raise TypeError("not a number")
    value = float(raw)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _parse_decimal(raw: Scalar) -> Decimal:
    if isinstance(raw, bool):
        raise TypeError("not a number")
    value = Decimal(str(raw).strip())
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value


def _parse_text(raw: Scalar) -> str:
    if isinstance(raw, bool):
        raise TypeError("not text")
    text = str(raw)
    if len(text) > MAX_TEXT_LENGTH or "\x00" in text:
        raise ValueError("text too long or with NUL characters")
    return text


def _parse_datetime(raw: Scalar, *, aware: bool) -> datetime:
    value = datetime.fromisoformat(_text(raw).strip())
    if aware:
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def to_json_scalar(value: object) -> Scalar:
    """A value read from a table as a JSON scalar that :func:`parse_value` reads back."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
