"""What the declarative sources (CSV feeds, REST endpoints) share in their column lists."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from pydantic import BeforeValidator

OLD_SPELLINGS = {"str": "string"}
"""Type names of earlier versions, still read (with a deprecation warning)."""


def expand_type_shorthand(columns: Any) -> Any:
    """``{"lap": "int"}`` is shorthand for ``{"lap": {"type": "int"}}``; old type spellings
    (``str``) are read as today's (``string``) with a deprecation warning."""
    if not isinstance(columns, Mapping):
        return columns  # pydantic reports the wrong type
    expanded = {k: ({"type": v} if isinstance(v, str) else v) for k, v in columns.items()}
    return {k: _current_spelling(k, v) for k, v in expanded.items()}


def _current_spelling(name: str, spec: Any) -> Any:
    if isinstance(spec, Mapping) and spec.get("type") in OLD_SPELLINGS:
        old = spec["type"]
        warnings.warn(
            f"column {name!r}: type {old!r} is deprecated, write {OLD_SPELLINGS[old]!r}",
            DeprecationWarning,
            stacklevel=2,
        )
        return {**spec, "type": OLD_SPELLINGS[old]}
    return spec


TYPE_SHORTHAND = BeforeValidator(expand_type_shorthand)
