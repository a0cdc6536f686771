"""Kedro datasets of the Pitwall lake."""

from pitwall.datasets.delta_dataset import DeltaTableDataset

__all__ = ["DeltaTableDataset"]
