"""Scrapy items (dataclasses).

Spiders yield *extracted* items: page text only, one dataclass per page shape. The item
pipelines turn each into a :class:`ScrapedRecord` (typed per the site's columns) or a
:class:`RejectedRecord` (reason + original text); those two are what the feed lands.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal


@dataclass(slots=True)
class LapEntry:
    """A lap's detail page of the leaderboard (``position`` comes from the listing)."""

    url: str
    lap_id: str | None = None
    position: str | None = None
    driver: str | None = None
    nationality: str | None = None
    car: str | None = None
    track: str | None = None
    lap_time: str | None = None
    sector_1: str | None = None
    sector_2: str | None = None
    sector_3: str | None = None
    set_on: str | None = None


@dataclass(slots=True)
class TimingEntry:
    """A row of the JavaScript-rendered live timing table."""

    url: str
    position: str | None = None
    car_number: str | None = None
    driver: str | None = None
    laps: str | None = None
    best_lap: str | None = None
    gap: str | None = None


@dataclass(slots=True)
class TableRow:
    """A row of a config-driven table: cells by the site's field names."""

    url: str
    cells: dict[str, str | None] = field(default_factory=dict)


ExtractedItem = LapEntry | TimingEntry | TableRow


@dataclass(slots=True)
class ScrapedRecord:
    """A valid, typed record of a site, as landed."""

    site: str
    url: str
    data: dict[str, Any]
    kind: Literal["record"] = "record"


@dataclass(slots=True)
class RejectedRecord:
    """An item that failed validation: why, where, and the text as extracted."""

    site: str
    url: str
    reason: str
    record: dict[str, str | None]
    kind: Literal["rejected"] = "rejected"


def extracted_fields(item: ExtractedItem) -> dict[str, str | None]:
    """The extracted text of an item by field name (``url`` excluded)."""
    if isinstance(item, TableRow):
        return dict(item.cells)
    fields = asdict(item)
    fields.pop("url")
    return fields
