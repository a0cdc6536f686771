"""CSV import and export of reference entities: one row per line, the ``<Entity>Create``
columns; list values (sector lines) as JSON arrays. An import is validated whole before
anything is written (all or nothing per file)."""

from __future__ import annotations

import io
from typing import Any

import orjson
import polars as pl
from pydantic import ValidationError

from pitwall.lake.layout import Lake
from pitwall.refdata.entities import RefEntity
from pitwall.refdata.store import read_ref
from pitwall.refdata.validation import validate_create

MAX_IMPORT_ROWS = 10_000


class RefCsvError(ValueError):
    """The file is refused whole; ``errors`` name the line and field of each problem."""

    def __init__(self, detail: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


def write_ref_csv(entity: RefEntity, *, lake: Lake) -> bytes:
    """The live rows as CSV (the columns of ``<Entity>Create``, then ``version``)."""
    columns = [*entity.create.model_fields, "version"]
    rows = read_ref(entity, lake=lake).select(columns)
    nested = [c for c, t in rows.schema.items() if t.is_nested()]
    rows = rows.with_columns(
        pl.col(c).map_elements(lambda v: orjson.dumps(list(v)).decode(), return_dtype=pl.String)
        for c in nested
    )
    buffer = io.BytesIO()
    rows.write_csv(buffer)
    return buffer.getvalue()


def read_ref_csv(entity: RefEntity, data: bytes) -> list[dict[str, Any]]:
    """Validated rows of a CSV file (a ``version`` column is ignored).

    Raises:
        RefCsvError: unreadable file, unknown or missing columns, an invalid row, or one key
            twice.
    """
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, n_rows=MAX_IMPORT_ROWS + 1)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise RefCsvError(f"not a readable CSV file: {exc}") from exc
    fields = entity.create.model_fields
    unknown = sorted(set(frame.columns) - set(fields) - {"version"})
    missing = sorted(k for k in entity.keys if k not in frame.columns)
    if unknown or missing:
        raise RefCsvError(f"unknown columns {unknown}, missing key columns {missing}")
    if frame.height > MAX_IMPORT_ROWS:
        raise RefCsvError(f"more than {MAX_IMPORT_ROWS} rows")
    nested = {c for c, t in entity.schema.items() if t.is_nested()}
    rows, errors, seen = [], [], set()
    for line, record in enumerate(frame.drop("version", strict=False).iter_rows(named=True), 2):
        try:
            values = {c: _cell(v, nested=c in nested) for c, v in record.items()}
            row = validate_create(entity, {c: v for c, v in values.items() if v is not None})
        except ValidationError as exc:
            errors += [{"line": line, "loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()]
            continue
        except ValueError as exc:
            errors.append({"line": line, "loc": [], "msg": str(exc)})
            continue
        key = entity.key_text(row)
        if key in seen:
            errors.append({"line": line, "loc": list(entity.keys), "msg": f"key {key} twice"})
        seen.add(key)
        rows.append(row)
    if errors:
        raise RefCsvError(f"{len(errors)} problems; nothing was imported", errors)
    return rows


def _cell(value: str | None, *, nested: bool) -> Any:
    if value is None or value == "":
        return None
    return orjson.loads(value) if nested else value
