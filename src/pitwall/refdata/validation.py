"""Validation of reference rows, the same for single writes and CSV imports: every row, new or
patched, must be a valid ``<Entity>Create``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pitwall.refdata.entities import RefEntity


def validate_create(entity: RefEntity, data: Mapping[str, Any]) -> dict[str, Any]:
    """A whole row's column values.

    Raises:
        pydantic.ValidationError: not a valid ``<Entity>Create``.
    """
    return entity.create.model_validate(data).model_dump()


def validate_update(
    entity: RefEntity, before: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The row's column values after applying ``changes`` (an ``<Entity>Update``) to ``before``.

    Raises:
        pydantic.ValidationError: changes not a valid update, or the patched row not valid.
    """
    update = entity.update.model_validate(changes).model_dump(exclude_unset=True)
    merged = {c: before[c] for c in entity.create.model_fields} | update
    return validate_create(entity, merged)
