"""Where reads go: DuckDB over the lake, and optionally the PostgreSQL mirror for CLEAN."""

from api.readers.lake import LakeReader, LakeSnapshot, ServedTable
from api.readers.registry import CleanReader, Readers, Snapshot, open_readers

__all__ = [
    "CleanReader",
    "LakeReader",
    "LakeSnapshot",
    "Readers",
    "ServedTable",
    "Snapshot",
    "open_readers",
]
