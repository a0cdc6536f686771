"""ingest_api: per REST endpoint, new pages -> RAW (chunked commits) -> quarantine + CLEAN."""

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from pitwall.datasets.naming import landing_dataset, table_dataset
from pitwall.rest.landing import raw_table_name
from pitwall.rest.spec import EndpointSpec, read_api_sources

from .nodes import land_api_pages, split_api_rows


def create_pipeline(**kwargs: object) -> Pipeline:
    """Two nodes per endpoint declared in conf (``api_sources``): land_raw_<t>, build_clean_<t>."""
    return Pipeline(
        [
            node
            for source, spec in read_api_sources().items()
            for endpoint, declared in spec.endpoints.items()
            for node in endpoint_nodes(source, endpoint, declared)
        ]
    )


def endpoint_nodes(source: str, endpoint: str, declared: EndpointSpec) -> list[Node]:
    raw = raw_table_name(source, endpoint)
    return [
        Node(
            update_wrapper(partial(land_api_pages, raw_table=raw), land_api_pages),
            [landing_dataset("api", source, endpoint), "params:ingest_api.commit_every_records"],
            table_dataset("raw", raw),
            name=f"land_raw_{raw}",
        ),
        Node(  # outputs in commit order: quarantine first, then the CLEAN merge that closes it
            update_wrapper(
                partial(split_api_rows, source=source, endpoint=endpoint), split_api_rows
            ),
            [table_dataset("raw", raw), f"params:ingest_api.sources.{source}"],
            [table_dataset("quarantine", raw), table_dataset("clean", declared.clean_table)],
            name=f"build_clean_{raw}",
        ),
    ]
