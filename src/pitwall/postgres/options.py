"""Options of the mirror (``conf/base/parameters_mirror_postgres.yml`` -> ``mirror_postgres``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pitwall.config import read_parameters

MirrorSchema = Literal["raw", "clean"]
PARAMETERS_KEY = "mirror_postgres"


class MirrorOptions(BaseModel):
    """Which tables to mirror and how.

    Attributes:
        clean_tables: CLEAN tables to mirror; None mirrors every CLEAN table in the lake.
        raw_tables: RAW tables mirrored too (none by default).
        keys: natural key per table (``clean.ac_laps`` or just ``ac_laps`` for CLEAN),
            used as the PostgreSQL primary key and for upserts; default none.
        swap_fraction: a change touching more than this fraction of the table's rows is
            applied by reloading and swapping the table; smaller changes are upserted. With a
            natural key the change is the rows that really differ (new, changed or deleted),
            else the rows of the added + removed Delta files.
        compare_rows: most rows of added + removed Delta files compared row by row (their
            keys and one column at a time are held in memory); a bigger change is measured
            by its files.
        chunk_rows: rows encoded per COPY block.
    """

    model_config = ConfigDict(extra="forbid")

    clean_tables: list[str] | None = None
    raw_tables: list[str] = Field(default_factory=list)
    keys: dict[str, list[str]] = Field(default_factory=dict)
    swap_fraction: float = Field(default=0.2, ge=0.0, le=1.0)
    chunk_rows: int = Field(default=100_000, gt=0)
    compare_rows: int = Field(default=4_000_000, ge=0)

    def keys_of(self, schema: MirrorSchema, table: str) -> list[str]:
        """The natural key of ``schema.table`` (empty when none is configured)."""
        found = self.keys.get(f"{schema}.{table}")
        if found is None and schema == "clean":
            found = self.keys.get(table)
        return list(found or [])


def read_mirror_options(home: Path | None = None) -> MirrorOptions:
    """The ``mirror_postgres`` parameters of the project's Kedro config (base + local)."""
    return MirrorOptions.model_validate(read_parameters(PARAMETERS_KEY, home=home))
