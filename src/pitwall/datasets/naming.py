"""Catalog names of lake tables: ``<layer>.<table>`` (``raw.csv_cars``, ``clean.cars``...).

The catalog's dataset factories resolve these names. Kedro warns about dots in dataset names
(they are also its namespace separator); here the prefix is the lake layer, deliberately, so
that warning is silenced for these names only.
"""

from __future__ import annotations

import warnings

from pitwall.lake.layout import Layer

warnings.filterwarnings(
    "ignore",
    message="One or more dataset names contain '.' characters",
    category=UserWarning,
)


def table_dataset(layer: Layer, table: str) -> str:
    """The catalog name of a lake table."""
    return f"{layer}.{table}"


def landing_dataset(source: str, *parts: str) -> str:
    """The catalog name of a source's landing zone, e.g. ``landing.csv.cars``."""
    return ".".join(("landing", source, *parts))
