"""A client-side request rate limit (evenly spaced requests).

Hand-written: one blocking ``wait()`` per request is all a sequential client needs; the
available libraries bring buckets, backends and async machinery we would not use.
"""

from __future__ import annotations

import time


class RateLimiter:
    """At most ``per_second`` requests per second, spaced evenly; None disables it."""

    def __init__(self, per_second: float | None) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0

    def wait(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        if now < self._next:
            time.sleep(self._next - now)
            now = self._next
        self._next = now + self._interval
