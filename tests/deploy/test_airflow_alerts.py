"""Airflow failure alerts: every task of every DAG calls pitwall_dags.alert_on_failure, which
POSTs a JSON alert to the configured webhook (a real HTTP server on loopback here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.airflow_env import ensure_airflow_venv
from tests.deploy.helpers import DAGS, PLUGINS
from tests.deploy.test_airflow_dags import airflow_env, last_json_line, run_airflow

# Runs inside the pinned Airflow: load the DAG folder, check every task's failure callback,
# then fail "a task" through the callback with a realistic context.
SCRIPT = """
import json, sys
from types import SimpleNamespace
from airflow.models.dagbag import DagBag
import pitwall_dags

bag = DagBag(sys.argv[1])
assert not bag.import_errors, bag.import_errors
callbacks = {}
for dag in bag.dags.values():
    for task in dag.tasks:
        found = task.on_failure_callback
        found = found if isinstance(found, list) else [found]
        callbacks[f"{dag.dag_id}.{task.task_id}"] = [getattr(f, "__name__", None) for f in found]
ti = SimpleNamespace(dag_id="ingest_csv", task_id="land-csv-raw", run_id="manual__1",
                     try_number=3, log_url="http://airflow/log")
pitwall_dags.alert_on_failure({"ti": ti, "exception": RuntimeError("kedro run exited 1"),
                               "logical_date": "2026-01-01T00:00:00+00:00"})
print(json.dumps({"callbacks": callbacks, "env": pitwall_dags.KEDRO_ENV}))
"""


class Webhook:
    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], Any]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((dict(self.headers), json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/airflow"


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    thread = threading.Thread(target=hook.server.serve_forever, daemon=True)
    thread.start()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


@pytest.mark.slow
def test_a_failed_task_alerts_the_webhook(webhook: Webhook, tmp_path: Path) -> None:
    script = tmp_path / "alert.py"
    script.write_text(SCRIPT)
    env = airflow_env(
        tmp_path,
        PYTHONPATH=str(PLUGINS),
        PITWALL_ALERT_WEBHOOK_URL=webhook.url,
        PITWALL_ALERT_WEBHOOK_TOKEN="s3cret-token",
    )
    env.pop("PITWALL_KEDRO_ENV", None)
    result = run_airflow(ensure_airflow_venv() / "bin", ["python", str(script), str(DAGS)], env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    report = last_json_line(result.stdout)
    assert report["env"] == "production"  # never `local` unless a worker says so
    assert report["callbacks"], "no task found"
    for task, names in report["callbacks"].items():
        assert "alert_on_failure" in names, task
    assert len(webhook.received) == 1
    headers, alert = webhook.received[0]
    assert headers["Authorization"] == "Bearer s3cret-token"
    assert headers["Content-Type"] == "application/json"
    assert alert["event"] == "task_failed"
    assert (alert["dag_id"], alert["task_id"], alert["try_number"]) == (
        "ingest_csv",
        "land-csv-raw",
        3,
    )
    assert alert["error"] == "RuntimeError: kedro run exited 1"


@pytest.mark.slow
def test_no_webhook_configured_is_logged_not_raised(tmp_path: Path) -> None:
    script = tmp_path / "alert.py"
    script.write_text(
        "import pitwall_dags\npitwall_dags.alert_on_failure({'exception': ValueError('x')})\n"
        "print('{}')\n"
    )
    env = airflow_env(tmp_path, PYTHONPATH=str(PLUGINS), PITWALL_ALERT_WEBHOOK_URL="")
    result = run_airflow(ensure_airflow_venv() / "bin", ["python", str(script)], env=env)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "PITWALL_ALERT_WEBHOOK_URL is not set" in result.stdout + result.stderr
