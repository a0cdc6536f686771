"""CSV feed declarations (``conf/base/globals.yml`` -> ``csv_feeds``), validated with pydantic."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pitwall.column_specs import TYPE_SHORTHAND

ColumnType = Literal["string", "int", "float", "bool", "date", "datetime", "decimal"]
Encoding = Literal["utf-8", "latin-1", "utf-16"]


class ColumnSpec(BaseModel):
    """One declared column: its type, and whether a file may omit it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ColumnType = "string"
    required: bool = True
    format: str | None = None  # strptime format for date/datetime
    precision: int = 18
    scale: int = 3


class CsvFeed(BaseModel):
    """A CSV feed: where its files are, how to read them and where they land."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    location: str = Field(description="glob: a local landing folder or s3://bucket/prefix/*.csv")
    delimiter: str = ","
    quote: str = '"'
    encoding: Encoding = "utf-8"
    header: bool = True
    columns: Annotated[dict[str, ColumnSpec], TYPE_SHORTHAND]
    key: list[str]
    clean_table: str

    @model_validator(mode="after")
    def _keys_declared(self) -> CsvFeed:
        missing = [k for k in self.key if k not in self.columns]
        if missing:
            raise ValueError(f"feed {self.name!r}: key columns {missing} are not declared")
        if not self.key:
            raise ValueError(f"feed {self.name!r}: a natural key is required")
        return self

    @property
    def raw_table(self) -> str:
        return f"csv_{self.name}"

    @property
    def quarantine_table(self) -> str:
        return f"csv_{self.name}"

    @property
    def is_remote(self) -> bool:
        return self.location.startswith("s3://")


def parse_feeds(config: Mapping[str, Mapping[str, Any]]) -> dict[str, CsvFeed]:
    """Validate ``{name: {location, columns, key, ...}}`` into feeds; errors name the feed."""
    return {name: CsvFeed(name=name, **dict(spec)) for name, spec in config.items()}
