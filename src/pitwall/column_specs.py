"""What the declarative sources (CSV feeds, REST endpoints, scraped sites) share in their column
lists: the type shorthand and the constraint vocabulary."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import polars as pl
from pydantic import BaseModel, BeforeValidator, ConfigDict, field_validator

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


Bound = int | float | datetime | date


class ColumnConstraints(BaseModel):
    """Checks on a column's *typed* value, declared in conf beside its type (CSV feeds, REST
    endpoints and scraped sites share them). A row breaking one is quarantined, the reason
    naming the constraint: ``not_null``, ``min``, ``max``, ``allowed``, ``finite``, ``regex``.

    Our own small layer rather than pandera's polars backend: pandera validates a whole frame
    and reports failure cases as a separate frame, while each source here needs one reason
    string per row computed lazily in the same pass as typing (CSV CLEAN runs in bounded
    chunks); a few polars expressions do that without another dependency.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    not_null: bool = False
    min: Bound | None = None
    max: Bound | None = None
    allowed: list[str | int | float | bool] | None = None
    finite: bool = True
    """Floats only: NaN and ±inf are refused unless ``finite: false``."""
    regex: str | None = None
    """Matched against the whole text of the value."""

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


def constraint_reasons(
    value: pl.Expr, *, name: str, spec: ColumnConstraints, kind: str, text: pl.Expr | None = None
) -> list[pl.Expr]:
    """One expression per declared constraint: its reason where ``value`` (the typed column)
    breaks it, else null. A null value breaks only ``not_null``. The reason shows ``text``
    (the value as read, when the caller has it: cheaper than formatting every typed value)."""
    return [
        pl.when(failed).then(reason)
        for failed, reason in constraint_checks(value, name=name, spec=spec, kind=kind, text=text)
    ]


def constraint_checks(
    value: pl.Expr, *, name: str, spec: ColumnConstraints, kind: str, text: pl.Expr | None = None
) -> list[tuple[pl.Expr, pl.Expr]]:
    """Per declared constraint: whether ``value`` breaks it (never null) and the reason to give
    where it does. Apart, so that a caller can find the bad rows with booleans alone and format
    reasons for those rows only (see :mod:`pitwall.csvfeeds.typing`)."""
    present = value.is_not_null()
    checks: list[tuple[str, pl.Expr]] = []
    if spec.not_null:
        checks.append(("not_null", value.is_null()))
    if kind == "float" and spec.finite:
        checks.append(("finite", present & ~value.is_finite()))
    if kind == "float":
        present = present & ~value.is_nan()  # NaN is only ``finite``'s business
    if spec.min is not None:
        checks.append((f"min {spec.min}", present & (value < pl.lit(spec.min))))
    if spec.max is not None:
        checks.append((f"max {spec.max}", present & (value > pl.lit(spec.max))))
    if spec.allowed is not None:
        checks.append((f"allowed {spec.allowed}", present & ~value.is_in(spec.allowed)))
    if spec.regex is not None:
        text = value.cast(pl.String)
        checks.append((f"regex {spec.regex}", present & ~text.str.contains(f"^(?:{spec.regex})$")))
    shown = (value.cast(pl.String) if text is None else text).fill_null("null")
    return [
        (
            failed.fill_null(False),
            pl.format("column {}: constraint {} violated by {}", pl.lit(name), pl.lit(c), shown),
        )
        for c, failed in checks
    ]
