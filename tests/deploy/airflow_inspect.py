"""Run by the Airflow environment's Python; prints JSON last. Imports Airflow, never the project.

- ``airflow_inspect.py dags <folder>``: load the folder in a DagBag, like the scheduler does;
- ``airflow_inspect.py assets``: asset events and the DAG runs they queued (metadata DB).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from typing import Any

from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import AssetAny


def describe_schedule(schedule: Any) -> Any:
    """A cron/preset string, None, or the asset URIs of an any-of asset condition."""
    if schedule is None or isinstance(schedule, str):
        return schedule
    if isinstance(schedule, AssetAny):
        return {"any_of_assets": sorted(a.uri for a in schedule.objects)}
    return repr(schedule)


def describe(dag_folder: str) -> dict[str, Any]:
    bag = DagBag(dag_folder=dag_folder)
    dags = {}
    for dag_id, dag in bag.dags.items():
        tasks = {
            task.task_id: {
                "upstream": sorted(task.upstream_task_ids),
                "outlets": sorted(a.uri for a in task.outlets),
                "retries": task.retries,
                "cwd": task.cwd,
                # the decorated callable returns the shell command the task will run
                "command": task.python_callable(),
            }
            for task in dag.tasks
        }
        dags[dag_id] = {
            "file": dag.fileloc,
            "schedule": describe_schedule(dag.schedule),
            "max_active_runs": dag.max_active_runs,
            "catchup": dag.catchup,
            "retries": dag.default_args.get("retries"),
            "retry_delay_s": dag.default_args["retry_delay"].total_seconds(),
            "tasks": tasks,
        }
    return {
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "kedro_importable": importlib.util.find_spec("kedro") is not None,
        "dags": dags,
    }


def describe_assets() -> dict[str, Any]:
    from airflow.models.asset import AssetDagRunQueue, AssetEvent
    from airflow.utils.session import create_session

    with create_session() as session:
        events = [
            {"uri": e.asset.uri, "dag_id": e.source_dag_id, "task_id": e.source_task_id}
            for e in session.query(AssetEvent).all()
        ]
        queued = sorted({q.target_dag_id for q in session.query(AssetDagRunQueue).all()})
    return {"events": events, "queued_dag_ids": queued}


if __name__ == "__main__":
    mode = sys.argv[1]
    found = describe(sys.argv[2]) if mode == "dags" else describe_assets()
    # Airflow logs to stdout too: the answer is the last line
    print("\n" + json.dumps(found, sort_keys=True))
