"""The lake: layout, Delta IO, and the landing contract (exactly-once commits of batches)."""

from pitwall.lake.commit import CleanChunk, CleanWriter, LandedBatch, commit_clean, commit_raw
from pitwall.lake.delta import read_table, scan_table, table_exists, write_table
from pitwall.lake.layout import LAYERS, Lake, Layer, get_lake

__all__ = [
    "LAYERS",
    "CleanChunk",
    "CleanWriter",
    "Lake",
    "LandedBatch",
    "Layer",
    "commit_clean",
    "commit_raw",
    "get_lake",
    "read_table",
    "scan_table",
    "table_exists",
    "write_table",
]
