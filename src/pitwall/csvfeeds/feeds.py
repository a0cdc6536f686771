"""CSV feed declarations (``conf/base/sources_csv.yml`` -> ``csv_feeds``), validated by pydantic."""

from __future__ import annotations

import glob
import itertools
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pitwall.column_specs import TYPE_SHORTHAND, ColumnConstraints
from pitwall.settings import get_settings

ColumnType = Literal["string", "int", "float", "bool", "date", "datetime", "decimal"]
Encoding = Literal["utf-8", "latin-1", "utf-16"]


class ColumnSpec(ColumnConstraints):
    """One declared column: its type, whether a file may omit it, its constraints."""

    type: ColumnType = "string"
    required: bool = True
    format: str | None = None
    """strptime format for date/datetime; default ISO 8601 (never guessed)."""
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
    max_record_bytes: int = Field(1 << 20, ge=1024)
    """A record (line) longer than this is quarantined, its original kept as a side object."""
    max_decompressed_bytes: int = Field(4 << 30, ge=1)
    """A ``.gz`` file inflating beyond this is rejected whole (a decompression bomb)."""
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

    def local_pattern(self) -> str:
        """The location glob, absolute (a relative one is taken from the project home)."""
        if os.path.isabs(self.location):
            return self.location
        return str(get_settings().home / self.location)

    def source_of(self, uri: str) -> str:
        """What RAW and the log record as a file's source: ``<feed>/<path under the feed's
        landing folder>`` (never a server path), or the URI of an object-store file."""
        if self.is_remote:
            return uri
        parts = Path(self.local_pattern()).parts
        static = [p for p in itertools.takewhile(lambda p: not glob.has_magic(p), parts)]
        try:
            relative = Path(uri).resolve().relative_to(Path(*static).resolve()).as_posix()
        except ValueError:
            relative = Path(uri).name
        return f"{self.name}/{relative}"


def parse_feeds(config: Mapping[str, Mapping[str, Any]]) -> dict[str, CsvFeed]:
    """Validate ``{name: {location, columns, key, ...}}`` into feeds; errors name the feed."""
    return {name: CsvFeed(name=name, **dict(spec)) for name, spec in config.items()}


def read_csv_feeds(*, home: Path | None = None) -> dict[str, CsvFeed]:
    """The feeds declared in the project's conf (``csv_feeds`` in ``sources_csv.yml``)."""
    from pitwall.config import read_config

    return parse_feeds(read_config("sources", home=home).get("csv_feeds") or {})
