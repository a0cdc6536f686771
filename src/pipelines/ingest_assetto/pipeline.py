"""ingest_assetto: landing Parquet -> RAW (each file once) -> CLEAN by natural keys."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import build_clean_tables, land_capture_files


def create_pipeline(**kwargs: object) -> Pipeline:
    return pipeline(
        [
            node(land_capture_files, "assetto_landing", "assetto_raw", name="land_assetto_raw"),
            node(
                build_clean_tables,
                ["assetto_raw", "params:ingest_assetto"],
                "assetto_clean",
                name="build_assetto_clean",
            ),
        ]
    )
