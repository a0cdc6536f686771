"""ingest_csv: landing files -> RAW (strings + metadata) -> CLEAN (typed, merged by key)."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import plan_raw_batches, type_raw_rows


def create_pipeline(**kwargs: object) -> Pipeline:
    return pipeline(
        [
            node(plan_raw_batches, "csv_landing", "csv_raw", name="land_csv_raw"),
            node(
                type_raw_rows,
                ["csv_raw", "params:ingest_csv.feeds"],
                "csv_clean",
                name="build_csv_clean",
            ),
        ]
    )
