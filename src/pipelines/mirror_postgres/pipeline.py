"""mirror_postgres wiring: params (+ upstream CLEAN datasets for ordering) -> postgres_mirror."""

from collections.abc import Sequence

from kedro.pipeline import Node, Pipeline

from .nodes import plan_mirror


def create_pipeline(*, after: Sequence[str] = ()) -> Pipeline:
    """The mirror pipeline; ``after`` names the CLEAN datasets it must run after."""
    return Pipeline(
        [
            Node(
                plan_mirror,
                ["params:mirror_postgres", *after],
                "postgres_mirror",
                name="mirror_postgres",
            )
        ]
    )
