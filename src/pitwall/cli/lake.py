"""``pitwall lake``: table maintenance and status (imports deferred, like ``pitwall mirror``)."""

from __future__ import annotations

from typing import Annotated

import typer

from pitwall.cli.sql import OutputFormat

app = typer.Typer(help="Lake tables: status and maintenance.", no_args_is_help=True)

LakeRoot = Annotated[
    str | None, typer.Option("--lake", help="lake root (default: PITWALL_LAKE_URI or data/lake)")
]
Tables = Annotated[
    list[str] | None,
    typer.Option("--tables", help="layer.table to maintain (repeatable; default: every table)"),
]


Format = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv or json")]


@app.command("status")
def status_command(lake: LakeRoot = None, fmt: Format = "table") -> None:
    """Per table: version, files, size, small files, last maintenance, history length."""
    import polars as pl
    from rich.console import Console

    from pitwall.cli.sql import render
    from pitwall.lake.layout import get_lake
    from pitwall.lake.maintenance import read_lake_status, read_policy

    policy = read_policy()
    status = read_lake_status(get_lake(lake), small_file_mb=policy.small_file_mb)
    if fmt == "table":
        status = status.with_columns(
            (pl.col("size_bytes") / 1024 / 1024).round(2).alias("size_bytes"),
            pl.col("last_maintenance").dt.strftime("%Y-%m-%d %H:%M"),
        ).rename({"size_bytes": "size_mb"})
    render(status, fmt=fmt, console=Console())


@app.command("maintain")
def maintain_command(
    retention_hours: Annotated[
        int | None,
        typer.Option(help="VACUUM retention (default from parameters_maintain_lake.yml: 168)"),
    ] = None,
    tables: Tables = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="report, change nothing")] = False,
    lake: LakeRoot = None,
    fmt: Format = "table",
) -> None:
    """Compact small files, set log retention, VACUUM and checkpoint (the maintain_lake
    pipeline). Safe while ingests run."""
    from pydantic import ValidationError
    from rich.console import Console

    from pitwall.cli.sql import render
    from pitwall.lake.layout import get_lake
    from pitwall.lake.maintenance import (
        maintain_lake,
        plan_maintenance,
        read_lake_status,
        read_policy,
        reports_frame,
    )

    try:
        policy = read_policy(retention_hours=retention_hours, tables=tables or None)
    except ValidationError as exc:
        typer.echo(f"error: {exc.errors()[0]['msg'].removeprefix('Value error, ')}", err=True)
        raise typer.Exit(2) from exc
    root = get_lake(lake)
    status = read_lake_status(root, small_file_mb=policy.small_file_mb, tables=policy.tables)
    plan = plan_maintenance(status, policy=policy)
    reports = maintain_lake(root, plan, policy=policy, dry_run=dry_run)
    render(reports_frame(reports), fmt=fmt, console=Console())
