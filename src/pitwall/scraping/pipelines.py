"""Item pipelines, in order: validation (100) -> normalisation (200) -> deduplication (300).

Each is small, works from the site's declared columns (``spider.site_config``) and counts its
outcomes in the crawler stats under ``pitwall/<stage>/<outcome>``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from pitwall.scraping.config import ColumnSpec, SiteConfig
from pitwall.scraping.items import (
    LapEntry,
    RejectedRecord,
    ScrapedRecord,
    TableRow,
    TimingEntry,
    extracted_fields,
)
from pitwall.scraping.values import Value, clean_text, parse_value

EXTRACTED = (LapEntry, TimingEntry, TableRow)


def find_problems(fields: dict[str, str | None], columns: dict[str, ColumnSpec]) -> list[str]:
    """Why the extracted text does not fit the columns (empty when it does)."""
    problems: list[str] = []
    for name, spec in columns.items():
        text = clean_text(fields.get(spec.field))
        if text is None:
            if spec.required:
                problems.append(f"{name}: missing")
            continue
        try:
            parse_value(text, spec.type)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    return problems


def normalise_fields(
    fields: dict[str, str | None], columns: dict[str, ColumnSpec]
) -> dict[str, Value]:
    """The typed values of valid extracted text, by column name."""
    return {name: parse_value(fields.get(spec.field), spec.type) for name, spec in columns.items()}


class _StagePipeline:
    stage: ClassVar[str]

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def site(self) -> SiteConfig:
        return self.crawler.spider.site_config  # type: ignore[union-attr]

    def count(self, outcome: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"pitwall/{self.stage}/{outcome}")


class ValidationPipeline(_StagePipeline):
    """Extracted items whose text misses a required column or does not parse are replaced by a
    :class:`RejectedRecord` carrying the reasons (they land in quarantine, not in CLEAN)."""

    stage = "validation"

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, EXTRACTED):
            return item
        fields = extracted_fields(item)
        problems = find_problems(fields, self.site.columns)
        if not problems:
            self.count("valid")
            return item
        self.count("rejected")
        for problem in problems:
            self.count(f"rejected/{problem.split(':', 1)[0]}")
        return RejectedRecord(
            site=self.site.name, url=item.url, reason="; ".join(problems), record=fields
        )


class NormalisationPipeline(_StagePipeline):
    """Valid extracted items become typed :class:`ScrapedRecord` s."""

    stage = "normalisation"

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, EXTRACTED):
            return item
        data = normalise_fields(extracted_fields(item), self.site.columns)
        self.count("records")
        return ScrapedRecord(site=self.site.name, url=item.url, data=data)


class DeduplicationPipeline(_StagePipeline):
    """Drops records whose natural key was already seen in this crawl (e.g. a row repeated
    across pages under another URL)."""

    stage = "dedup"

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[tuple[Value, ...]] = set()

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ScrapedRecord):
            return item
        key = tuple(item.data[k] for k in self.site.keys)
        if key in self.seen:
            self.count("duplicates")
            raise DropItem(f"duplicate {self.site.name} key {key} at {item.url}", log_level="DEBUG")
        self.seen.add(key)
        self.count("unique")
        return item
