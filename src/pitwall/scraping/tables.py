"""Row extraction for the config-driven ``table`` spider: either row/column CSS selectors or a
plain HTML ``<table>`` whose columns are found by their header text."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from parsel import Selector, SelectorList

from pitwall.scraping.config import ColumnSpec, SiteConfig
from pitwall.scraping.values import clean_text

log = logging.getLogger(__name__)
Cells = dict[str, str | None]


def extract_rows(page: Selector, site: SiteConfig) -> Iterator[Cells]:
    """The cells of every row of ``page`` (text, keyed by field name)."""
    if site.html_table:
        yield from _html_table_rows(page, site)
    elif site.rows:
        for row in page.css(site.rows):
            yield {spec.field: _cell(row, spec) for spec in site.columns.values()}
    else:
        raise ValueError(f"site {site.name!r}: a table site needs 'rows' or 'html_table'")


def _cell(row: Selector, spec: ColumnSpec) -> str | None:
    query = spec.selector or f".{spec.field}"  # default: an element of the field's class
    nodes: SelectorList[Selector] = row.css(query)
    if not nodes:
        return None
    text = " ".join(nodes.css("::text").getall()) if "::" not in query else " ".join(nodes.getall())
    return _apply_pattern(clean_text(text), spec)


def _apply_pattern(text: str | None, spec: ColumnSpec) -> str | None:
    if text is None or not spec.pattern:
        return text
    match = re.search(spec.pattern, text)
    if not match:
        return text  # left as is: validation reports it as malformed
    return match.group(1) if match.groups() else match.group(0)


def _html_table_rows(page: Selector, site: SiteConfig) -> Iterator[Cells]:
    assert site.html_table
    for table in page.css(site.html_table):
        headers = [
            (clean_text(" ".join(th.css("::text").getall())) or "").casefold()
            for th in table.css("thead tr th, thead tr td") or table.css("tr:first-child th")
        ]
        positions: dict[str, int | None] = {}
        for name, spec in site.columns.items():
            wanted = (spec.header or name).casefold()
            positions[spec.field] = headers.index(wanted) if wanted in headers else None
            if positions[spec.field] is None:
                log.warning("site %s: no column headed %r in %s", site.name, wanted, headers)
        for tr in table.css("tr"):
            tds = tr.css("td")
            if not tds:
                continue  # header row
            texts = [clean_text(" ".join(td.css("::text").getall())) for td in tds]
            cells: Cells = {}
            for spec in site.columns.values():
                index = positions[spec.field]
                text = texts[index] if index is not None and index < len(texts) else None
                cells[spec.field] = _apply_pattern(text, spec)
            yield cells
