"""Which lake tables an app needs and which are missing, so that apps degrade gracefully."""

from __future__ import annotations

from collections.abc import Sequence

from pitwall.queries.frames import Connection
from pitwall.queries.schema import list_catalog_tables


def missing_tables(con: Connection, tables: Sequence[str]) -> list[str]:
    """Those of ``tables`` (``"layer.name"``) that the catalog does not hold, in given order."""
    present = {f"{layer}.{name}" for layer, name in list_catalog_tables(con)}
    return [t for t in tables if t not in present]


def no_data_message(missing: Sequence[str], *, what: str) -> str:
    """Markdown telling the user that ``what`` needs tables that have not landed yet."""
    names = ", ".join(f"`{t}`" for t in missing)
    return (
        f"**No data yet for {what}.** The lake has no {names} so far: run the ingestion "
        "pipelines (e.g. `make demo` or `kedro run`) and reload this page."
    )
