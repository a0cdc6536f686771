"""Scraped sites, declared in ``conf/*/sources_sites.yml`` (key ``scraper``), validated with
pydantic. The Scrapy project and the ``ingest_scraper`` pipeline read the same declarations, so
a new site of a known shape (e.g. a ``table`` site) is added in conf, not in code.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pitwall.column_specs import ColumnConstraints, expand_type_shorthand
from pitwall.config import read_config
from pitwall.lake.layout import is_remote_uri
from pitwall.settings import get_settings

ColumnType = Literal["string", "int", "float", "date", "duration_ms"]
LandingDir = Path | str
"""The scraper's landing zone: a local folder, or an object-store prefix (``s3://bucket/...``)."""


class ColumnSpec(ColumnConstraints):
    """One output column of a site: its type, where its text comes from, its constraints."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: ColumnType = "string"
    required: bool = False
    field: str = ""
    """Name of the extracted text field (default: the column name)."""
    selector: str | None = None
    """``table`` spider, row mode: CSS query relative to the row (``::text`` is implied)."""
    header: str | None = None
    """``table`` spider, HTML table mode: header text of the column (default: the name)."""
    pattern: str | None = Field(default=None, alias="re")
    """Regular expression whose first group is kept (e.g. ``'(\\d+) pts'``)."""


class SiteConfig(BaseModel):
    """A site to scrape: which spider, where to start, how rows look, how they are keyed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    spider: str
    base_url: str
    start_urls: list[str] = Field(min_length=1)
    keys: list[str] = Field(min_length=1)
    columns: dict[str, ColumnSpec]
    table: str = ""
    """CLEAN table (default ``scraped_<name>``)."""
    rows: str | None = None
    """``table`` spider: CSS query of one row (row mode)."""
    html_table: str | None = None
    """``table`` spider: CSS query of a plain ``<table>`` (header mode)."""
    next_page: str | None = None
    """CSS query of the next page's href (``::attr(href)``), if the site paginates."""

    @field_validator("columns", mode="before")
    @classmethod
    def _fill_fields(cls, value: Mapping[str, Any]) -> dict[str, Any]:
        # "driver: string" is shorthand for {"type": "string"}; field defaults to the name
        out: dict[str, Any] = {}
        for name, spec in expand_type_shorthand(value).items():
            spec = dict(spec or {})
            spec.setdefault("field", name)
            out[name] = spec
        return out

    @model_validator(mode="after")
    def _check(self) -> SiteConfig:
        missing = [k for k in self.keys if k not in self.columns]
        if missing:
            raise ValueError(f"site {self.name!r}: key columns {missing} are not declared")
        if self.rows and self.html_table:
            raise ValueError(f"site {self.name!r}: give either 'rows' or 'html_table'")
        if not self.table:
            object.__setattr__(self, "table", f"scraped_{self.name}")
        return self

    def start_requests_urls(self) -> list[str]:
        """Start URLs made absolute against ``base_url``."""
        return [urljoin(self.base_url.rstrip("/") + "/", u.lstrip("/")) for u in self.start_urls]


class ScraperConfig(BaseModel):
    """The ``scraper`` block: defaults shared by the sites, and the sites."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    landing_dir: LandingDir
    sites: dict[str, SiteConfig]

    @field_validator("landing_dir", mode="before")
    @classmethod
    def _landing(cls, value: object) -> LandingDir:
        text = str(value)
        return text.rstrip("/") if is_remote_uri(text) else Path(text)

    @model_validator(mode="before")
    @classmethod
    def _inherit(cls, value: Mapping[str, Any]) -> dict[str, Any]:
        data = dict(value)
        base = data.get("base_url")
        data["sites"] = {
            name: {"name": name, "base_url": base, **dict(spec)}
            for name, spec in dict(data.get("sites") or {}).items()
        }
        return data

    def site(self, name: str) -> SiteConfig:
        try:
            return self.sites[name]
        except KeyError:
            known = ", ".join(sorted(self.sites)) or "none"
            raise KeyError(f"unknown site {name!r} (configured: {known})") from None


def parse_scraper_config(config: Mapping[str, Any], *, home: Path | None = None) -> ScraperConfig:
    """Validate a ``scraper`` block; a relative ``landing_dir`` is taken from ``home``."""
    parsed = ScraperConfig.model_validate(config)
    landing = parsed.landing_dir
    if isinstance(landing, Path) and not landing.is_absolute():
        landing = (home or get_settings().home) / landing
    return parsed.model_copy(update={"landing_dir": landing})


def read_scraper_config(*, home: Path | None = None, env: str | None = None) -> ScraperConfig:
    """The ``scraper`` block of the project's ``sources`` conf (``base`` + ``local`` or
    ``KEDRO_ENV``); env vars such as ``PITWALL_WEBSITE_URL`` are resolved by ``oc.env``."""
    root = home or get_settings().home
    raw = dict(read_config("sources", home=root, env=env).get("scraper") or {})
    if not raw:
        raise KeyError(f"no 'scraper' block in {root / 'conf'}/*/sources*.yml")
    return parse_scraper_config(raw, home=root)
