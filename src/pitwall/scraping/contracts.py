"""``scrapy check`` contracts of the Pitwall spiders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from scrapy.contracts import Contract


class SitePathContract(Contract):
    """``@path /leaderboard/page-1.html``: the sample URL, relative to the spider's site
    (``base_url`` from conf or ``PITWALL_WEBSITE_URL``), so checks run against any host."""

    name = "path"

    def __init__(self, method: Callable[..., Any], *args: Any) -> None:
        super().__init__(method, *args)
        self.spider = method.__self__  # type: ignore[attr-defined]  # callbacks are bound

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        base = self.spider.base_url.rstrip("/") + "/"
        args["url"] = urljoin(base, str(self.args[0]).lstrip("/"))
        return args
