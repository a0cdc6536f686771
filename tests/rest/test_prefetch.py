"""Fetch-ahead: order kept, bounded lead, errors surface in the consumer, early stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from pitwall.rest.prefetch import prefetch


def test_order_and_bounded_lead() -> None:
    produced: list[int] = []

    def items() -> Iterator[int]:
        for i in range(50):
            produced.append(i)
            yield i

    seen = []
    for item in prefetch(items(), depth=3):
        seen.append(item)
        assert len(produced) - len(seen) <= 3 + 1  # queue + the one being put
    assert seen == list(range(50))


def test_error_is_raised_in_consumer_after_earlier_items() -> None:
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("partner.events: boom")

    got = []
    with pytest.raises(RuntimeError, match=r"partner\.events: boom"):
        for item in prefetch(items(), depth=2):
            got.append(item)
    assert got == [1, 2]


def test_early_close_stops_and_closes_the_producer() -> None:
    closed = threading.Event()

    def items() -> Iterator[int]:
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    stream = prefetch(items(), depth=2)
    assert next(stream) == 0
    stream.close()
    assert closed.wait(timeout=5)


def test_depth_zero_is_inline() -> None:
    assert list(prefetch(iter([1, 2, 3]), depth=0)) == [1, 2, 3]
