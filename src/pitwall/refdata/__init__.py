"""Reference data curated by hand: entities, their CLEAN tables and the audited write path."""

from pitwall.refdata.audit import CHANGES_TABLE, Actor, read_ref_history
from pitwall.refdata.entities import ENTITIES, EntityName, RefEntity
from pitwall.refdata.store import (
    RefError,
    RefExistsError,
    RefNotFoundError,
    RefWrite,
    StaleVersionError,
    read_ref,
    read_ref_row,
    scan_ref,
    write_ref,
)

__all__ = [
    "CHANGES_TABLE",
    "ENTITIES",
    "Actor",
    "EntityName",
    "RefEntity",
    "RefError",
    "RefExistsError",
    "RefNotFoundError",
    "RefWrite",
    "StaleVersionError",
    "read_ref",
    "read_ref_history",
    "read_ref_row",
    "scan_ref",
    "write_ref",
]
