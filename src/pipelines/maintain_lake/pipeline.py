"""maintain_lake wiring: params + lake_status -> plan -> lake_maintenance."""

from kedro.pipeline import Node, Pipeline

from .nodes import plan_lake_maintenance


def create_pipeline() -> Pipeline:
    return Pipeline(
        [
            Node(
                plan_lake_maintenance,
                ["params:maintain_lake", "lake_status"],
                "lake_maintenance",
                name="maintain_lake",
            )
        ]
    )
