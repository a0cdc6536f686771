"""RAW record JSON -> typed CLEAN columns declared in conf; failures become quarantine rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl
from polars.exceptions import ComputeError, InvalidOperationError

from pitwall.column_specs import constraint_reasons
from pitwall.lake.ingest import TIMESTAMP
from pitwall.rest.spec import ColumnSpec, ColumnType, EndpointSpec

LINEAGE_COLUMNS = ("_batch_id", "_ingested_at")
_DTYPES: dict[ColumnType, pl.DataType] = {
    "string": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": TIMESTAMP,
}


@dataclass(frozen=True)
class TypedRecords:
    """The outcome of typing RAW rows: CLEAN rows and rejected rows (with their reason)."""

    clean: pl.DataFrame
    rejected: pl.DataFrame  # _batch_id, _ingested_at, _source, _source_row, reason, record


def clean_schema(endpoint: EndpointSpec) -> dict[str, pl.DataType]:
    schema = {name: _DTYPES[col.type] for name, col in endpoint.columns.items()}
    return {**schema, "_batch_id": pl.String(), "_ingested_at": TIMESTAMP}


def _path(name: str, column: ColumnSpec) -> list[str]:
    return (column.path or name).removeprefix("$.").split(".")


def _text_struct(paths: list[list[str]]) -> pl.Struct:
    tree: dict[str, Any] = {}
    for steps in paths:
        node = tree
        for step in steps[:-1]:
            node = node.setdefault(step, {})
            if not isinstance(node, dict):
                raise ValueError(f"path {'.'.join(steps)} clashes with a leaf column")
        node.setdefault(steps[-1], None)

    def build(node: Mapping[str, Any]) -> pl.Struct:
        fields = {k: (build(v) if isinstance(v, dict) else pl.String()) for k, v in node.items()}
        return pl.Struct(fields)

    return build(tree)


def extract_text(raw: pl.DataFrame, endpoint: EndpointSpec) -> pl.DataFrame:
    """Each declared column as text (JSON scalars as written; absent or null -> null)."""
    paths = {name: _path(name, col) for name, col in endpoint.columns.items()}
    try:
        dtype = _text_struct(list(paths.values()))
        decoded = raw.select(pl.col("record").str.json_decode(dtype=dtype))
        exprs = []
        for name, steps in paths.items():
            expr = pl.col("record")
            for step in steps:
                expr = expr.struct.field(step)
            exprs.append(expr.alias(name))
        return decoded.select(exprs)
    except (ComputeError, InvalidOperationError, ValueError):
        # a record whose shape differs (e.g. an object where text was declared): per-path match
        return raw.select(
            pl.col("record").str.json_path_match("$." + ".".join(steps)).alias(name)
            for name, steps in paths.items()
        )


def _cast(text: pl.Expr, kind: ColumnType) -> pl.Expr:
    if kind == "string":
        return text
    if kind == "bool":
        return text.str.to_lowercase().replace_strict(
            {"true": True, "false": False}, default=None, return_dtype=pl.Boolean
        )
    if kind == "date":
        return text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if kind == "datetime":
        return text.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)
    return text.cast(_DTYPES[kind], strict=False)


def type_records(raw: pl.DataFrame, *, endpoint: EndpointSpec) -> TypedRecords:
    """Type RAW rows; a row with a missing key/required value or a bad value is rejected."""
    text = extract_text(raw, endpoint)
    text = text.rename({c: f"__text_{c}" for c in text.columns})
    typed_exprs: list[pl.Expr] = []
    checks: list[tuple[str, pl.Expr, pl.Expr]] = []  # (flag column, failed?, reason)
    for i, (name, column) in enumerate(endpoint.columns.items()):
        given = pl.col(f"__text_{name}")
        value = _cast(given, column.type)
        typed_exprs.append(value.alias(name))
        reason = pl.format("{}: {} is not {}", pl.lit(name), given, pl.lit(column.type))
        checks.append((f"__bad_{i}", given.is_not_null() & pl.col(name).is_null(), reason))
        if column.required or name in endpoint.key:
            missing = pl.lit(f"{name}: missing")
            checks.append((f"__missing_{i}", given.is_null(), missing))
        kind = column.type
        for j, broken in enumerate(
            constraint_reasons(pl.col(name), name=name, spec=column, kind=kind)
        ):
            checks.append((f"__constraint_{i}_{j}", broken.is_not_null(), broken))
    lineage = raw.select("_batch_id", "_ingested_at", "_source", "_source_row", "record")
    typed = (
        pl.concat([lineage, text], how="horizontal")
        .lazy()
        .with_columns(typed_exprs)
        .with_columns(failed.alias(flag) for flag, failed, _ in checks)
        .with_columns(pl.any_horizontal([flag for flag, _, _ in checks]).alias("__failed"))
        .collect()
    )
    schema = clean_schema(endpoint)
    clean = typed.filter(~pl.col("__failed")).select(list(schema)).cast(schema)
    # reasons are spelled out for the (few) failing rows only
    rejected = typed.filter(pl.col("__failed")).select(
        "_batch_id",
        "_ingested_at",
        "_source",
        "_source_row",
        pl.concat_str(
            [pl.when(pl.col(flag)).then(reason) for flag, _, reason in checks],
            separator="; ",
            ignore_nulls=True,
        ).alias("reason"),
        "record",
    )
    return TypedRecords(clean, rejected)
