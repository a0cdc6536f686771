"""Text -> typed values of scraped columns."""

from __future__ import annotations

import pytest

from pitwall.scraping.values import clean_text, parse_value


@pytest.mark.parametrize(
    ("text", "ms"),
    [("1:42.345", 102_345), ("2:17.3", 137_300), ("42.07", 42_070), ("1:02:03.456", 3_723_456)],
)
def test_durations_parse_to_milliseconds(text: str, ms: int) -> None:
    assert parse_value(text, "duration_ms") == ms


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("2:1x.950", "duration_ms"),
        ("n/a", "duration_ms"),
        ("12a", "int"),
        ("7,0.4", "float"),
        ("2024-13-01", "date"),
    ],
)
def test_malformed_text_raises_with_the_value_in_the_reason(text: str, kind: str) -> None:
    with pytest.raises(ValueError, match="malformed") as caught:
        parse_value(text, kind)  # type: ignore[arg-type]
    assert repr(text) in str(caught.value)


def test_numbers_dates_and_whitespace() -> None:
    assert parse_value(" 1,234 ", "int") == 1234
    assert parse_value("7.004", "float") == pytest.approx(7.004)
    assert parse_value("2024-05-01", "date") == "2024-05-01"
    assert parse_value("  Max \n Fischer ", "string") == "Max Fischer"
    assert parse_value("   ", "int") is None
    assert clean_text(None) is None
