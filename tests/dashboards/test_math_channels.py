"""User math channels: SQL and polars expressions, computed per lap, never arbitrary Python."""

from __future__ import annotations

import polars as pl
import pytest

from pitwall.dashboards.math_channels import (
    MathChannel,
    MathChannelError,
    add_math_channels,
    compile_channel,
    parse_math_channels,
)

LAPS = pl.DataFrame(
    {
        "label": ["a", "a", "a", "b", "b"],
        "speed_kmh": [36.0, 72.0, 108.0, 90.0, 54.0],
        "brake": [0.0, 0.5, 0.0, 1.0, 0.0],
        "tyre_load_fl": [3000.0, 3500.0, 4000.0, 3000.0, 3000.0],
        "tyre_load_rl": [3000.0, 2500.0, 4000.0, 1000.0, 3000.0],
    }
)


def test_sql_and_polars_channels_are_computed_per_lap() -> None:
    channels = parse_math_channels(
        """
        # speeds
        speed_ms = speed_kmh / 3.6
        braking = CASE WHEN brake > 0.1 THEN 1 ELSE 0 END
        front_share = pl.col("tyre_load_fl") / (pl.col("tyre_load_fl") + pl.col("tyre_load_rl"))
        gained = pl.col("speed_ms").diff().fill_null(0)
        hard = pl.when(pl.col("brake") > 0.9).then(1).otherwise(0)
        """
    )
    assert [(c.name, c.kind) for c in channels] == [
        ("speed_ms", "sql"),
        ("braking", "sql"),
        ("front_share", "polars"),
        ("gained", "polars"),
        ("hard", "polars"),
    ]
    out, errors = add_math_channels(LAPS, channels, over="label")
    assert errors == []
    assert out["speed_ms"].to_list() == pytest.approx([10, 20, 30, 25, 15])
    assert out["braking"].to_list() == [0, 1, 0, 1, 0]
    assert out["front_share"].to_list() == pytest.approx([0.5, 3500 / 6000, 0.5, 0.75, 0.5])
    # diff restarts with each lap: lap b's first value is not 25 - 30
    assert out["gained"].to_list() == pytest.approx([0, 10, 10, 0, -10])
    assert out["hard"].to_list() == [0, 0, 0, 1, 0]


@pytest.mark.parametrize(
    ("expression", "why"),
    [
        ("read_csv('/etc/passwd')", "READCSV"),
        ("(SELECT 1)", "SUBQUERY"),
        ("speed_kmh; DROP TABLE x", "BLOCK"),
        ("__import__('os').system('id')", "DOT"),
        ('pl.col("speed_kmh").map_elements(print)', "Name"),
        ('pl.col("speed_kmh").map_batches(lambda s: s)', "Lambda"),
        ('pl.col("speed_kmh").map_batches(pl.lit(1))', "map_batches"),
        ('pl.read_csv("/etc/passwd")', "read_csv"),
        ('pl.col("speed_kmh").__class__', "Attribute"),
        ('pl.col("nope") * 2', "unknown channel"),
        ("nope * 2", "unknown channel"),
        ('pl.col("speed_kmh").rolling_mean(10**9)', "limited"),
        ("open('x')", "unknown function"),
    ],
)
def test_anything_outside_the_whitelist_is_refused(expression: str, why: str) -> None:
    kind = "polars" if "pl." in expression else "sql"
    with pytest.raises(MathChannelError, match=why):
        compile_channel(MathChannel("x", expression, kind), LAPS.columns)  # type: ignore[arg-type]


def test_a_bad_channel_is_reported_and_the_others_still_computed() -> None:
    channels = parse_math_channels("ok = speed_kmh * 2\nbad = nope + 1")
    out, errors = add_math_channels(LAPS, channels, over="label")
    assert "ok" in out.columns and "bad" not in out.columns
    assert errors == ["bad: unknown channel nope"]


def test_malformed_lines_are_refused_with_their_number() -> None:
    with pytest.raises(MathChannelError, match="line 2"):
        parse_math_channels("a = speed_kmh\nno equals sign here")
    with pytest.raises(MathChannelError, match="line 1"):
        parse_math_channels("1bad = speed_kmh")
    with pytest.raises(MathChannelError, match="longer"):
        parse_math_channels("a = " + "speed_kmh + " * 100 + "1")
