"""The mirror_postgres Kedro pipeline: wiring, pure node, dataset, a real run."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pydantic
import pytest
import yaml
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from pipelines.mirror_postgres.nodes import plan_mirror
from pipelines.mirror_postgres.pipeline import create_pipeline
from pitwall.lake.delta import write_table
from pitwall.lake.layout import Lake
from pitwall.postgres.dataset import PostgresMirrorDataset
from tests.postgres.fixtures import (  # noqa: F401 - fixtures
    PgDatabase,
    embedded_home,
    embedded_server,
    pg,
    pg_server,
    role_passwords,
)
from tests.postgres.helpers import laps

REPO = Path(__file__).resolve().parents[2]


def test_runs_after_the_given_clean_datasets() -> None:
    alone = create_pipeline()
    wired = create_pipeline(after=["csv_clean", "api_clean"])

    assert alone.inputs() == {"params:mirror_postgres"}
    assert wired.inputs() == {"params:mirror_postgres", "csv_clean", "api_clean"}
    assert wired.outputs() == {"postgres_mirror"}


def test_plan_is_validated_params() -> None:
    plan = plan_mirror({"keys": {"laps": ["lap_id"]}}, object(), object())
    assert plan["keys"] == {"laps": ["lap_id"]}
    assert plan["swap_fraction"] == 0.2
    with pytest.raises(pydantic.ValidationError):
        plan_mirror({"swap_fraction": 3})


def test_catalog_entry_builds_the_dataset() -> None:
    config = yaml.safe_load((REPO / "conf/base/catalog_mirror_postgres.yml").read_text())
    catalog = DataCatalog.from_config(config)
    dataset = catalog.get("postgres_mirror")
    assert isinstance(dataset, PostgresMirrorDataset)
    assert dataset.metadata == {"kedro-viz": {"layer": "mirror"}}


def test_kedro_run_mirrors_the_lake(pg: PgDatabase, lake: Lake) -> None:  # noqa: F811
    write_table(laps(range(12)), lake.table_uri("clean", "laps"), mode="merge", keys=["lap_id"])
    mirror = PostgresMirrorDataset(lake_uri=lake.root, dsn=pg.loader)
    catalog = DataCatalog(
        {
            "params:mirror_postgres": MemoryDataset({"keys": {"laps": ["lap_id"]}}),
            "csv_clean": MemoryDataset("upstream output, used for ordering only"),
            "postgres_mirror": mirror,
        }
    )
    assert not mirror.exists()

    SequentialRunner().run(create_pipeline(after=["csv_clean"]), catalog)

    with psycopg.connect(pg.reader) as conn:
        assert conn.execute("SELECT count(*) FROM clean.laps").fetchone() == (12,)
    assert [s.action for s in mirror.last_summaries] == ["swap"]
    assert mirror.exists()
    status = mirror.load()
    assert status.select("table", "mirrored_version", "rows", "freshness").rows() == [
        ("laps", 0, 12, "up to date")
    ]
    preview = mirror.preview()
    assert preview["columns"][:2] == ["schema", "table"]
    assert preview["data"][0][:2] == ["clean", "laps"]
    description = mirror._describe()
    assert pg.passwords.loader not in str(description)
