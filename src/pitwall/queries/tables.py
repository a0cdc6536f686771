"""The lake's tables: schema, row count, Delta version and last update."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from pitwall.lake.delta import open_table
from pitwall.lake.layout import Lake, get_lake
from pitwall.queries.frames import Connection, fetch_frame, table_ref
from pitwall.queries.schema import list_catalog_tables, read_columns

TABLE_LIST_SCHEMA: dict[str, pl.DataType] = {
    "layer": pl.String(),
    "name": pl.String(),
    "columns": pl.List(pl.Struct({"name": pl.String(), "type": pl.String()})),
    "rows": pl.Int64(),
    "version": pl.Int64(),
    "updated_at": pl.Datetime("us", "UTC"),
}


def read_table_list(con: Connection, *, lake: Lake | None = None) -> pl.DataFrame:
    """One row per catalog table (see ``TABLE_LIST_SCHEMA``); version/updated_at from Delta."""
    lake = lake or get_lake()
    rows = []
    for layer, name in list_catalog_tables(con):
        columns = [
            {"name": c.name, "type": c.sql_type} for c in read_columns(con, layer=layer, table=name)
        ]
        count = fetch_frame(con, f"SELECT count(*) AS n FROM {table_ref(layer, name)}").item()  # nosec B608
        version, updated_at = _delta_state(lake, layer=layer, name=name)
        rows.append(
            {
                "layer": layer,
                "name": name,
                "columns": columns,
                "rows": count,
                "version": version,
                "updated_at": updated_at,
            }
        )
    return pl.DataFrame(rows, schema=TABLE_LIST_SCHEMA)


def _delta_state(lake: Lake, *, layer: str, name: str) -> tuple[int | None, datetime | None]:
    try:
        uri = lake.table_uri(layer, name)  # type: ignore[arg-type]
    except ValueError:
        return None, None
    table = open_table(uri, storage_options=lake.storage_options)
    if table is None:
        return None, None
    last = table.history(1)
    stamp = last[0].get("timestamp") if last else None
    updated = datetime.fromtimestamp(stamp / 1000, tz=UTC) if stamp else None
    return table.version(), updated
