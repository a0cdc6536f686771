"""Project pipelines: every sub-package of ``pipelines`` with a ``pipeline.create_pipeline``.

Kedro's ``find_pipelines`` looks in ``<package>.pipelines``; our layout puts each pipeline
directly under ``src/pipelines/<name>``, so discovery walks this package instead.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from kedro.pipeline import Pipeline

INGEST_PIPELINES = ("ingest_csv", "ingest_api", "ingest_scraper", "ingest_assetto")
MIRROR_PIPELINE = "mirror_postgres"
MAINTENANCE_PIPELINE = "maintain_lake"  # scheduled on its own, never part of __default__


def discover_pipelines() -> dict[str, Pipeline]:
    found: dict[str, Pipeline] = {}
    for module in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not module.ispkg:
            continue
        if not (Path(__file__).parent / module.name / "pipeline.py").is_file():
            continue
        pipeline_module = importlib.import_module(f"pipelines.{module.name}.pipeline")
        found[module.name] = pipeline_module.create_pipeline()
    return found


def register_pipelines() -> dict[str, Pipeline]:
    """Each pipeline by its folder name; ``__default__`` runs the ingests, then the mirror
    (maintenance runs on its own schedule: ``kedro run --pipelines maintain_lake``).

    The mirror takes the CLEAN datasets the ingest pipelines produce as inputs, so Kedro's
    dependency order puts it after them.
    """
    pipelines = discover_pipelines()
    ingests = [pipelines[name] for name in INGEST_PIPELINES if name in pipelines]
    default = sum(ingests, Pipeline([]))
    if MIRROR_PIPELINE in pipelines:
        mirror_module = importlib.import_module(f"pipelines.{MIRROR_PIPELINE}.pipeline")
        clean_outputs = sorted(ds for p in ingests for ds in p.outputs() if ds.startswith("clean."))
        default += mirror_module.create_pipeline(after=[*clean_outputs, "raw.ingestion_log"])
    apart = (*INGEST_PIPELINES, MIRROR_PIPELINE, MAINTENANCE_PIPELINE)
    others = [p for n, p in pipelines.items() if n not in apart]
    pipelines["__default__"] = default + sum(others, Pipeline([]))
    return pipelines
