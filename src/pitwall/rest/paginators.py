"""Paginators: from one page's response to the next page's request (or None at the end)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from pitwall.rest.selector import MISSING, select
from pitwall.rest.spec import (
    CursorPaginator,
    LinkHeaderPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PaginatorSpec,
    SinglePage,
)

Params = dict[str, Any]


@dataclass(frozen=True)
class PageRequest:
    """A page to fetch: a URL and query parameters (empty when the URL is complete)."""

    url: str
    params: Params = field(default_factory=dict)


def first_page(url: str, params: Params, *, size_param: str | None, size: int) -> PageRequest:
    """The first request: the caller's params, plus the page size when the API takes one."""
    return PageRequest(url, {**params, **({size_param: size} if size_param else {})})


class Paginator(Protocol):
    def first(self, url: str, params: Params) -> PageRequest: ...

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, count: int
    ) -> PageRequest | None: ...


def _as_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None


@dataclass(frozen=True)
class PageNumber:
    spec: PageNumberPaginator

    def first(self, url: str, params: Params) -> PageRequest:
        s = self.spec
        return PageRequest(url, {**params, s.page_param: s.first_page, s.size_param: s.page_size})

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, count: int
    ) -> PageRequest | None:
        s = self.spec
        page = int(request.params[s.page_param])
        total = _as_int(select(body, s.total_pages_path)) if s.total_pages_path else None
        last_page = total is not None and page - s.first_page + 1 >= total
        if count == 0 or last_page or (total is None and count < s.page_size):
            return None
        return PageRequest(request.url, {**request.params, s.page_param: page + 1})


@dataclass(frozen=True)
class Offset:
    spec: OffsetPaginator

    def first(self, url: str, params: Params) -> PageRequest:
        s = self.spec
        return PageRequest(url, {**params, s.offset_param: 0, s.limit_param: s.limit})

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, count: int
    ) -> PageRequest | None:
        s = self.spec
        offset = int(request.params[s.offset_param]) + count
        total = _as_int(select(body, s.total_path)) if s.total_path else None
        if (
            count == 0
            or (total is not None and offset >= total)
            or (total is None and count < s.limit)
        ):
            return None
        return PageRequest(request.url, {**request.params, s.offset_param: offset})


@dataclass(frozen=True)
class BodyCursor:
    spec: CursorPaginator

    def first(self, url: str, params: Params) -> PageRequest:
        return first_page(url, params, size_param=self.spec.size_param, size=self.spec.page_size)

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, count: int
    ) -> PageRequest | None:
        cursor = select(body, self.spec.cursor_path)
        if cursor in (MISSING, None, "") or count == 0:
            return None
        return PageRequest(request.url, {**request.params, self.spec.cursor_param: cursor})


@dataclass(frozen=True)
class LinkHeader:
    """RFC 5988 ``Link: <url>; rel="next"`` (parsed by httpx)."""

    spec: LinkHeaderPaginator

    def first(self, url: str, params: Params) -> PageRequest:
        return first_page(url, params, size_param=self.spec.size_param, size=self.spec.page_size)

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, count: int
    ) -> PageRequest | None:
        link = response.links.get(self.spec.rel, {}).get("url")
        return PageRequest(str(response.url.join(link))) if link else None


@dataclass(frozen=True)
class NextUrl:
    spec: NextUrlPaginator

    def first(self, url: str, params: Params) -> PageRequest:
        return first_page(url, params, size_param=self.spec.size_param, size=self.spec.page_size)

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, count: int
    ) -> PageRequest | None:
        link = select(body, self.spec.next_url_path)
        if link in (MISSING, None, ""):
            return None
        return PageRequest(str(response.url.join(str(link))))


@dataclass(frozen=True)
class Single:
    spec: SinglePage

    def first(self, url: str, params: Params) -> PageRequest:
        return PageRequest(url, params)

    def next(
        self, request: PageRequest, response: httpx.Response, body: Any, count: int
    ) -> PageRequest | None:
        return None


def body_paths(spec: PaginatorSpec) -> tuple[str, ...]:
    """The dotted paths a paginator reads from a page's body (its records aside)."""
    if isinstance(spec, PageNumberPaginator):
        path = spec.total_pages_path
    elif isinstance(spec, OffsetPaginator):
        path = spec.total_path
    elif isinstance(spec, CursorPaginator):
        path = spec.cursor_path
    elif isinstance(spec, NextUrlPaginator):
        path = spec.next_url_path
    else:
        path = None
    return (path,) if path else ()


def make_paginator(spec: PaginatorSpec) -> Paginator:
    if isinstance(spec, PageNumberPaginator):
        return PageNumber(spec)
    if isinstance(spec, OffsetPaginator):
        return Offset(spec)
    if isinstance(spec, CursorPaginator):
        return BodyCursor(spec)
    if isinstance(spec, LinkHeaderPaginator):
        return LinkHeader(spec)
    if isinstance(spec, NextUrlPaginator):
        return NextUrl(spec)
    return Single(spec)
