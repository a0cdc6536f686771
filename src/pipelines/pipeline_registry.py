"""Project pipelines: every folder under ``src/pipelines`` with a ``create_pipeline``."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline


def register_pipelines() -> dict[str, Pipeline]:
    """Register each pipeline by its folder name; ``__default__`` runs them all.

    The mirror consumes the CLEAN datasets the ingest pipelines produce, so Kedro's
    dependency order puts it after them.
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
