"""Typing RAW record JSON into declared CLEAN columns; failures carry a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import polars as pl

from pitwall.lake.ingest import with_ingestion_metadata
from pitwall.rest.columns import type_records
from pitwall.rest.selector import MISSING, select
from pitwall.rest.spec import EndpointSpec

SPEC = EndpointSpec.model_validate(
    {
        "path": "/x",
        "key": ["id"],
        "clean_table": "x",
        "columns": {
            "id": "string",
            "laps": "int",
            "speed": "float",
            "wet": "bool",
            "day": "date",
            "at": {"type": "datetime", "required": True},
            "driver": {"type": "string", "path": "driver.name"},
        },
    }
)


def raw(records: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame({"record": [orjson.dumps(r).decode() for r in records]})
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return with_ingestion_metadata(
        frame.lazy(), batch_id="b1", source="s", ingested_at=now
    ).collect()


def test_types_nested_paths_and_rejects_with_reason() -> None:
    good = {
        "id": "a",
        "laps": 12,
        "speed": 201.5,
        "wet": True,
        "day": "2025-03-01",
        "at": "2025-03-01T10:00:00.500000Z",
        "driver": {"name": "Ada"},
    }
    rows = raw(
        [
            good,
            {**good, "id": "b", "laps": "DNF"},
            {**good, "id": "c", "at": None},
            {**good, "id": None},
            {**good, "id": "e", "speed": None, "driver": {}},
        ]
    )
    typed = type_records(rows, endpoint=SPEC)
    clean = typed.clean
    assert clean["id"].to_list() == ["a", "e"]
    first = clean.row(0, named=True)
    assert first["laps"] == 12 and first["speed"] == 201.5 and first["wet"] is True
    assert first["driver"] == "Ada"
    assert first["at"] == datetime(2025, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert clean.schema["at"] == pl.Datetime("us", "UTC")
    assert clean.row(1, named=True)["speed"] is None  # optional and absent: fine
    reasons = dict(zip(typed.rejected["_source_row"], typed.rejected["reason"], strict=True))
    assert reasons == {2: "laps: DNF is not int", 3: "at: missing", 4: "id: missing"}
    assert orjson.loads(typed.rejected["record"][0])["laps"] == "DNF"
    assert typed.clean.height + typed.rejected.height == rows.height


def test_selector() -> None:
    doc = {"a": {"b": [1, {"c": 2}]}}
    assert select(doc, "$") is doc
    assert select(doc, "a.b.1.c") == 2
    assert select(doc, "$.a.b.0") == 1
    assert select(doc, "a.x") is MISSING
    assert select(doc, "a.b.5") is MISSING


def test_declared_constraints_reject_with_their_name() -> None:
    spec = EndpointSpec.model_validate(
        {
            "path": "/x",
            "key": ["id"],
            "clean_table": "x",
            "columns": {
                "id": {"type": "string", "regex": "[a-z]+"},
                "lat": {"type": "float", "min": -90, "max": 90},
                "tyre": {"type": "string", "allowed": ["soft", "hard"], "not_null": True},
            },
        }
    )
    good = {"id": "a", "lat": 45.0, "tyre": "soft"}
    rows = raw(
        [
            good,
            {**good, "id": "B2"},
            {**good, "id": "c", "lat": 999},
            {**good, "id": "d", "lat": "NaN"},
            {**good, "id": "e", "tyre": "wet"},
            {**good, "id": "f", "tyre": None},
        ]
    )
    typed = type_records(rows, endpoint=spec)
    assert typed.clean["id"].to_list() == ["a"]
    reasons = dict(zip(typed.rejected["_source_row"], typed.rejected["reason"], strict=True))
    assert reasons == {
        2: "column id: constraint regex [a-z]+ violated by B2",
        3: "column lat: constraint max 90 violated by 999.0",
        4: "column lat: constraint finite violated by NaN",
        5: "column tyre: constraint allowed ['soft', 'hard'] violated by wet",
        6: "column tyre: constraint not_null violated by null",
    }
