"""Kedro datasets of the Pitwall lake."""

from pitwall.datasets.csv_feed_datasets import CsvCleanDataset, CsvLandingDataset, CsvRawDataset
from pitwall.datasets.delta_dataset import DeltaTableDataset

__all__ = ["CsvCleanDataset", "CsvLandingDataset", "CsvRawDataset", "DeltaTableDataset"]
