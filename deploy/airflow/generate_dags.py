"""Generate the Airflow DAGs of every Kedro pipeline with kedro-airflow.

    uv run python deploy/airflow/generate_dags.py           # rewrite deploy/airflow/dags
    uv run python deploy/airflow/generate_dags.py --check   # exit 1 when they are stale

It runs kedro-airflow's own ``kedro airflow create`` command once per registered pipeline
with the template ``deploy/airflow/dag_template.j2``. The settings come from
``conf/airflow.yml`` (kedro-airflow's format: ``default`` plus one section per pipeline). They
are handed to the command as its ``--params``: kedro-airflow's config loader only looks in
``conf/<env>/``, and ``--params`` on a command line cannot carry lists.
"""

from __future__ import annotations

import argparse
import filecmp
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from kedro.framework.startup import bootstrap_project
from pydantic import BaseModel, ConfigDict, Field

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "conf" / "airflow.yml"
TEMPLATE = Path(__file__).resolve().parent / "dag_template.j2"
DAGS = Path(__file__).resolve().parent / "dags"
KEDRO_ENV = "local"
DAG_SUFFIX = "_dag.py"

log = logging.getLogger("generate_dags")


class DagSettings(BaseModel):
    """One section of conf/airflow.yml; unknown keys are typos, so they are errors."""

    model_config = ConfigDict(extra="forbid")

    schedule: str | None = None
    after: list[str] = Field(default_factory=list)
    start_date: list[int] = Field(default_factory=lambda: [2024, 1, 1], min_length=3)
    catchup: bool = False
    max_active_runs: int = Field(1, ge=1)
    owner: str = "airflow"
    retries: int = Field(1, ge=0)
    retry_delay: int = Field(5, ge=0, description="minutes")
    retry_exponential_backoff: bool = False
    execution_timeout: int = Field(60, gt=0, description="minutes")


def read_dag_settings(config: Path = CONFIG) -> dict[str, DagSettings]:
    """Per-pipeline settings, each section merged over ``default`` (also returned as is)."""
    raw: dict[str, dict[str, Any]] = yaml.safe_load(config.read_text()) or {}
    default = raw.setdefault("default", {}) or {}
    return {name: DagSettings(**{**default, **(section or {})}) for name, section in raw.items()}


def dag_filename(pipeline_name: str, *, package_name: str = "pipelines") -> str:
    """kedro-airflow's file name for a pipeline's DAG."""
    return f"{package_name}_{pipeline_name}{DAG_SUFFIX}"


def generate_dags(target: Path, *, config: Path = CONFIG) -> list[Path]:
    """Write one DAG per registered pipeline into ``target``; return the files written."""
    from kedro.framework.project import pipelines
    from kedro_airflow.plugin import create

    metadata = bootstrap_project(ROOT)
    registered = {name: p for name, p in pipelines.items() if name != "__default__"}
    settings = read_dag_settings(config)
    for name in sorted(set(settings) - set(registered) - {"default"}):
        log.warning("conf/airflow.yml: pipeline %r is not registered: no DAG", name)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name in sorted(registered):
        dag = settings.get(name, settings["default"])
        params = dag.model_dump()
        params["upstream_assets"] = sorted(
            dataset
            for upstream in dag.after
            if upstream in registered
            for dataset in registered[upstream].outputs()
        )
        args = ["--pipelines", name, "--env", KEDRO_ENV, "--target-dir", str(target)]
        args += ["--jinja-file", str(TEMPLATE)]
        with create.make_context("kedro airflow create", args, obj=metadata) as ctx:
            ctx.params["params"] = params  # a dict: --params cannot carry lists
            create.invoke(ctx)
        written.append(target / dag_filename(name, package_name=metadata.package_name))
    return written


def stale_dags(dags: Path = DAGS, *, config: Path = CONFIG) -> list[str]:
    """DAG files that differ from a fresh generation (missing, extra or changed)."""
    with tempfile.TemporaryDirectory(prefix="pitwall-dags-") as tmp:
        fresh = {p.name for p in generate_dags(Path(tmp), config=config)}
        current = {p.name for p in dags.glob(f"*{DAG_SUFFIX}")}
        _, changed, errors = filecmp.cmpfiles(tmp, dags, sorted(fresh & current), shallow=False)
        return sorted((fresh ^ current) | set(changed) | set(errors))


def write_dags(dags: Path = DAGS, *, config: Path = CONFIG) -> list[Path]:
    """Regenerate ``dags`` in place; DAGs of pipelines that no longer exist are removed."""
    written = generate_dags(dags, config=config)
    for old in set(dags.glob(f"*{DAG_SUFFIX}")) - set(written):
        old.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the DAGs are stale")
    parser.add_argument("--dags", type=Path, default=DAGS, help="the DAGs folder")
    parser.add_argument("--config", type=Path, default=CONFIG, help="the settings file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # A CLI's report: printed, since Kedro's session re-configures logging on the way.
    if args.check:
        stale = stale_dags(args.dags, config=args.config)
        for name in stale:
            print(f"stale DAG: {name}", file=sys.stderr)
        if stale:
            print("regenerate: uv run python deploy/airflow/generate_dags.py", file=sys.stderr)
        return 1 if stale else 0
    for path in write_dags(args.dags, config=args.config):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
