"""What every generated Pitwall DAG shares (the DAG files are in deploy/airflow/dags).

Airflow puts its plugins folder on ``sys.path`` (not the DAG folder), so the DAGs' common code
lives here. Like the DAGs, it imports Airflow only: the scheduler and the DAG processor never
import Kedro or the project; tasks run the project's ``kedro`` (PITWALL_KEDRO, default
``kedro``) in PITWALL_HOME.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, dag

PROJECT = os.environ.get("PITWALL_HOME", "/app")
KEDRO = os.environ.get("PITWALL_KEDRO", "kedro")


def dataset_asset(dataset: str) -> Asset:
    """A Kedro dataset written by a pipeline, as an Airflow asset (one name in all DAGs)."""
    return Asset(name=dataset, uri=f"pitwall://catalog/{dataset}", group="pitwall")


def kedro_run(
    pipeline: str,
    *,
    env: str,
    conf_source: str = "",
    nodes: list[str] | None = None,
    namespaces: list[str] | None = None,
) -> str:
    """The shell command running a slice of a pipeline."""
    command = [KEDRO, "run", "--env", env, "--pipeline", pipeline]
    if conf_source:
        command += ["--conf-source", conf_source]
    if namespaces:
        command += ["--namespaces", ",".join(namespaces)]
    if nodes:
        command += ["--nodes", ",".join(nodes)]
    return shlex.join(command)


def pipeline_dag(
    pipeline: str,
    *,
    schedule: Any,
    start_date: datetime,
    max_active_runs: int,
    catchup: bool,
    owner: str,
    retries: int,
    retry_delay_minutes: int,
    retry_exponential_backoff: bool,
    execution_timeout_minutes: int,
) -> Callable[..., Any]:
    """The ``@dag`` decorator of one Kedro pipeline: the DAG id is the pipeline's name."""
    return dag(
        dag_id=pipeline,
        description=f"Kedro pipeline {pipeline}",
        start_date=start_date,
        schedule=schedule,
        max_active_runs=max_active_runs,
        catchup=catchup,
        tags=["pitwall", "kedro", pipeline],
        default_args={
            "owner": owner,
            "depends_on_past": False,
            "retries": retries,
            "retry_delay": timedelta(minutes=retry_delay_minutes),
            "retry_exponential_backoff": retry_exponential_backoff,
            "execution_timeout": timedelta(minutes=execution_timeout_minutes),
        },
    )
