"""The five pagination styles the sandbox speaks (one per client paginator kind)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.datastructures import URL

Style = Literal["page_number", "offset", "cursor", "link", "next_url"]
STYLES: tuple[Style, ...] = ("page_number", "offset", "cursor", "link", "next_url")
MAX_PAGE = 1_000
DEFAULT_PAGE = 100


@dataclass
class Page:
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def paginate(
    records: Sequence[Mapping[str, Any]], *, style: Style, query: Mapping[str, str], url: URL
) -> Page:
    """One page of ``records`` in the given style; ``query`` holds the request's parameters."""
    if style == "page_number":
        size = _size(query.get("page_size"))
        page = max(1, int(query.get("page", "1")))
        total_pages = max(1, -(-len(records) // size))
        chunk = records[(page - 1) * size : page * size]
        meta = {"page": page, "page_size": size, "total": len(records), "total_pages": total_pages}
        return Page({"data": chunk, "meta": meta})
    if style == "offset":
        limit = _size(query.get("limit"))
        offset = max(0, int(query.get("offset", "0")))
        paging = {"offset": offset, "limit": limit, "total": len(records)}
        return Page({"items": records[offset : offset + limit], "paging": paging})
    if style == "cursor":
        limit = _size(query.get("limit"))
        offset = decode_cursor(query["cursor"]) if query.get("cursor") else 0
        end = offset + limit
        next_cursor = encode_cursor(end) if end < len(records) else None
        return Page({"results": records[offset:end], "next_cursor": next_cursor})
    if style == "link":
        size = _size(query.get("per_page"))
        page = max(1, int(query.get("page", "1")))
        headers: dict[str, str] = {}
        if page * size < len(records):
            nxt = url.include_query_params(page=page + 1, per_page=size)
            first = url.remove_query_params("page")
            headers["Link"] = f'<{nxt}>; rel="next", <{first}>; rel="first"'
        return Page(records[(page - 1) * size : page * size], headers)
    size = _size(query.get("limit"))
    start = max(0, int(query.get("start", "0")))
    end = start + size
    nxt = str(url.include_query_params(start=end, limit=size)) if end < len(records) else None
    return Page({"records": records[start:end], "links": {"next": nxt}})


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    if not raw.startswith("o:"):
        raise ValueError("bad cursor")
    return int(raw[2:])


def _size(value: str | None) -> int:
    return min(MAX_PAGE, max(1, int(value))) if value else DEFAULT_PAGE
