"""Switchable, seeded fault injection for the sandbox partner API.

Each request to a data endpoint draws at most one fault. A given URL never fails more than
``max_consecutive`` times in a row, so a client that retries enough always gets through.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Literal

from pydantic import BaseModel, Field, model_validator

FaultKind = Literal["rate_limit", "server_error", "slow", "expire_token", "malformed"]


class Faults(BaseModel):
    """Probabilities (0..0.5 each, 0.9 in total) of each fault per data request."""

    rate_limit: float = Field(0.0, ge=0.0, le=0.5, description="429 with Retry-After")
    server_error: float = Field(0.0, ge=0.0, le=0.5, description="500/502/503")
    slow: float = Field(0.0, ge=0.0, le=0.5, description="respond after slow_seconds")
    expire_token: float = Field(0.0, ge=0.0, le=0.5, description="revoke the OAuth2 token: 401")
    malformed: float = Field(0.0, ge=0.0, le=0.5, description="200 with a broken page")
    retry_after_seconds: float = Field(0.05, ge=0.0, le=5.0)
    slow_seconds: float = Field(0.5, ge=0.0, le=10.0)
    max_consecutive: int = Field(3, ge=1, le=10)
    seed: int = 0

    @model_validator(mode="after")
    def _bounded(self) -> Faults:
        total = self.rate_limit + self.server_error + self.slow + self.expire_token + self.malformed
        if total > 0.9:
            raise ValueError(f"fault probabilities add up to {total:.2f} > 0.9")
        return self

    def probabilities(self) -> list[tuple[FaultKind, float]]:
        return [
            ("rate_limit", self.rate_limit),
            ("server_error", self.server_error),
            ("slow", self.slow),
            ("expire_token", self.expire_token),
            ("malformed", self.malformed),
        ]


class FaultInjector:
    """Draws faults from a seeded RNG; thread-safe; counts what it injected."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._streak: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self.configure(faults or Faults())

    @property
    def faults(self) -> Faults:
        return self._faults

    def configure(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults
            self._rng = random.Random(faults.seed)  # nosec B311
            self._streak.clear()

    def draw(self, key: str, *, oauth: bool) -> FaultKind | None:
        """The fault to inject for one request to ``key`` (path + query), if any."""
        with self._lock:
            roll = self._rng.random()
            if self._streak[key] >= self._faults.max_consecutive:
                self._streak.pop(key, None)
                return None
            edge = 0.0
            for kind, probability in self._faults.probabilities():
                edge += probability
                if roll < edge:
                    if kind == "expire_token" and not oauth:
                        break
                    self._streak[key] += 1
                    self.injected[kind] += 1
                    return kind
            self._streak.pop(key, None)
            return None
