"""The lake: layout, Delta IO and ingestion bookkeeping."""

from pitwall.lake.delta import read_markers, read_table, scan_table, table_exists, write_table
from pitwall.lake.layout import LAYERS, Lake, Layer, get_lake

__all__ = [
    "LAYERS",
    "Lake",
    "Layer",
    "get_lake",
    "read_markers",
    "read_table",
    "scan_table",
    "table_exists",
    "write_table",
]
