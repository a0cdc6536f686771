"""What every generated Pitwall DAG shares (the DAG files are in deploy/airflow/dags).

Airflow puts its plugins folder on ``sys.path`` (not the DAG folder), so the DAGs' common code
lives here. Like the DAGs, it imports Airflow only: the scheduler and the DAG processor never
import Kedro or the project; tasks run the project's ``kedro`` (PITWALL_KEDRO, default
``kedro``) in PITWALL_HOME.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Asset, dag

PROJECT = os.environ.get("PITWALL_HOME", "/app")
KEDRO = os.environ.get("PITWALL_KEDRO", "kedro")
# conf/production holds no file: settings come from the workers' environment and Secrets.
# `local` is a developer's own folder (git-ignored) and never what production runs.
KEDRO_ENV = os.environ.get("PITWALL_KEDRO_ENV", "production")
ALERT_TIMEOUT_S = 10.0

log = logging.getLogger(__name__)


def failure_alert(context: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a failure alert: which task of which run failed, and why."""
    ti = context.get("ti") or context.get("task_instance")
    exception = context.get("exception")
    return {
        "event": "task_failed",
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None) or context.get("run_id"),
        "try_number": getattr(ti, "try_number", None),
        "logical_date": str(context.get("logical_date") or ""),
        "error": f"{type(exception).__name__}: {exception}" if exception else None,
        "log_url": getattr(ti, "log_url", None),
    }


def alert_on_failure(context: dict[str, Any]) -> None:
    """Airflow ``on_failure_callback``: POST the alert to PITWALL_ALERT_WEBHOOK_URL.

    Any JSON webhook (Slack/Teams workflow, Alertmanager-style receiver, PagerDuty Events via
    a relay). PITWALL_ALERT_WEBHOOK_TOKEN, when set, is sent as a bearer token. stdlib urllib
    on purpose: this module imports Airflow only, and one POST needs no client library. A
    failing webhook is logged, never raised: the task's own failure is what Airflow records.
    """
    url = os.environ.get("PITWALL_ALERT_WEBHOOK_URL", "")
    if not url:
        log.warning("task failed and PITWALL_ALERT_WEBHOOK_URL is not set: no alert sent")
        return
    if not url.startswith(("https://", "http://")):
        log.error("PITWALL_ALERT_WEBHOOK_URL must be an http(s) URL")
        return
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("PITWALL_ALERT_WEBHOOK_TOKEN", "")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(failure_alert(context), default=str).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=ALERT_TIMEOUT_S) as response:  # nosec B310
            response.read()
    except OSError:
        log.exception("failure alert to the webhook failed")


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
            "on_failure_callback": alert_on_failure,
        },
    )
