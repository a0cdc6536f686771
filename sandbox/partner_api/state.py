"""Shared state of one sandbox instance (data, tokens, faults, counters)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sandbox.partner_api.credentials import SandboxCredentials, TokenStore
from sandbox.partner_api.data import PartnerData, Resource
from sandbox.partner_api.faults import FaultInjector
from sandbox.partner_api.pagination import Style

DEFAULT_STYLES: dict[Resource, Style] = {
    "events": "page_number",
    "entries": "offset",
    "results": "cursor",
    "weather": "link",
    "standings": "next_url",
}


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    auth_kinds: Counter[str] = field(default_factory=Counter)
    since: dict[str, Counter[str]] = field(default_factory=dict)
    """Per path, the ``updated_since`` values requested (where incremental clients start)."""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, *, path: str, status: int, auth: str | None, since: str | None = None) -> None:
        with self._lock:
            self.requests[path] += 1
            self.statuses[status] += 1
            if auth:
                self.auth_kinds[auth] += 1
            self.since.setdefault(path, Counter())[since or ""] += 1

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "statuses": {str(k): v for k, v in self.statuses.items()},
                "auth_kinds": dict(self.auth_kinds),
                "since": {path: dict(values) for path, values in self.since.items()},
            }


@dataclass
class SandboxState:
    data: PartnerData
    credentials: SandboxCredentials
    tokens: TokenStore
    faults: FaultInjector
    stats: Stats = field(default_factory=Stats)
