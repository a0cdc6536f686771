"""Reference data curated by hand: entities, their CLEAN tables and the audited write path."""

from pitwall.refdata.audit import CHANGES_TABLE, Actor, read_ref_history
from pitwall.refdata.bulk import RefCsvError, read_ref_csv, write_ref_csv
from pitwall.refdata.entities import ENTITIES, EntityName, RefEntity
from pitwall.refdata.store import (
    RefError,
    RefExistsError,
    RefNotFoundError,
    RefWrite,
    StaleVersionError,
    connect_ref,
    import_ref,
    read_ref,
    read_ref_row,
    scan_ref,
    write_ref,
)
from pitwall.refdata.validation import validate_create, validate_update

__all__ = [
    "CHANGES_TABLE",
    "ENTITIES",
    "Actor",
    "EntityName",
    "RefCsvError",
    "RefEntity",
    "RefError",
    "RefExistsError",
    "RefNotFoundError",
    "RefWrite",
    "StaleVersionError",
    "connect_ref",
    "import_ref",
    "read_ref",
    "read_ref_csv",
    "read_ref_history",
    "read_ref_row",
    "scan_ref",
    "validate_create",
    "validate_update",
    "write_ref",
    "write_ref_csv",
]
