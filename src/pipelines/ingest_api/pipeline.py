"""ingest_api: REST pages -> RAW (chunked commits with the cursor) -> CLEAN + quarantine."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import land_api_pages, type_api_records


def create_pipeline(**kwargs: object) -> Pipeline:
    return pipeline(
        [
            node(
                land_api_pages,
                ["api_pages", "params:ingest_api.commit_every_records"],
                "api_raw",
                name="land_api_raw",
            ),
            node(type_api_records, "api_raw", "api_clean", name="build_api_clean"),
        ]
    )
