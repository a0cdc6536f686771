"""Where reads go: DuckDB over the lake, and optionally the PostgreSQL mirror for CLEAN."""

from api.readers.lake import LakeReader, ServedTable
from api.readers.registry import CleanReader, Readers, open_readers

__all__ = ["CleanReader", "LakeReader", "Readers", "ServedTable", "open_readers"]
