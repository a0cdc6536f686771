"""Kedro datasets of the Pitwall lake: one per lake table, plus one landing dataset per source."""

from pitwall.datasets.delta_dataset import DeltaTableDataset
from pitwall.datasets.lake_maintenance import LakeMaintenanceDataset
from pitwall.datasets.lake_tables import (
    CleanTableDataset,
    IngestionLogDataset,
    QuarantineTableDataset,
    RawTableDataset,
)

__all__ = [
    "CleanTableDataset",
    "DeltaTableDataset",
    "IngestionLogDataset",
    "LakeMaintenanceDataset",
    "QuarantineTableDataset",
    "RawTableDataset",
]
