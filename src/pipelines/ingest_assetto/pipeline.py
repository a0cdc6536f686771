"""ingest_assetto: per dataset kind, capture files -> RAW; then the touched captures are
rebuilt into quarantine + the CLEAN ``ac_*`` tables."""

from kedro.pipeline import Node, Pipeline

from pitwall.assetto.land import LANDED_KINDS
from pitwall.assetto.tables import CLEAN_KEYS, QUARANTINE_TABLE, raw_table
from pitwall.datasets.naming import landing_dataset, table_dataset

from .nodes import build_clean_tables, land_capture_files


def create_pipeline(**kwargs: object) -> Pipeline:
    land = [
        Node(
            land_capture_files,
            landing_dataset("assetto", kind),
            table_dataset("raw", raw_table(kind)),
            name=f"land_raw_{raw_table(kind)}",
        )
        for kind in LANDED_KINDS
    ]
    build = Node(  # outputs in commit order: quarantine, the CLEAN tables, ac_sessions last
        build_clean_tables,
        ["params:ingest_assetto", *(table_dataset("raw", raw_table(k)) for k in LANDED_KINDS)],
        [
            table_dataset("quarantine", QUARANTINE_TABLE),
            *(table_dataset("clean", table) for table in CLEAN_KEYS),
        ],
        name="build_clean_assetto",
    )
    return Pipeline([*land, build])
