"""What the declarative sources (CSV feeds, REST endpoints) share in their column lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BeforeValidator


def expand_type_shorthand(columns: Any) -> Any:
    """``{"lap": "int"}`` is shorthand for ``{"lap": {"type": "int"}}``."""
    if not isinstance(columns, Mapping):
        return columns  # pydantic reports the wrong type
    return {k: ({"type": v} if isinstance(v, str) else v) for k, v in columns.items()}


TYPE_SHORTHAND = BeforeValidator(expand_type_shorthand)
