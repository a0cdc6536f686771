import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Pitwall · Platform health")


@app.cell
def _():
    import marimo as mo

    from pitwall import dashboards as dash
    from pitwall.dashboards import charts
    from pitwall.lake import get_lake
    from pitwall.lake.ingest import utc_now
    from pitwall.queries import read_ingestion_log, read_quarantine_summary, read_rows
    from pitwall.sql import connect

    return (
        charts,
        connect,
        dash,
        get_lake,
        mo,
        read_ingestion_log,
        read_quarantine_summary,
        read_rows,
        utc_now,
    )


@app.cell
def _(mo):
    mo.md("""
    # Platform health
    Every lake table with its rows, Delta version and freshness; the ingestion log with
    rows landed and quarantined per source; the quarantined rows themselves; and the
    PostgreSQL mirror. Click a bar to drill down.
    """)
    return


@app.cell
def _(mo):
    reload_button = mo.ui.button(label="Reload the lake", value=0, on_click=lambda n: n + 1)
    reload_button
    return (reload_button,)


@app.cell
def _(connect, get_lake, reload_button, utc_now):
    _reloads = reload_button.value
    lake = get_lake()
    con = connect(lake)
    now = utc_now()
    return con, lake, now


@app.cell
def _(con, dash, lake, mo, now):
    health = dash.read_table_health(con, now=now, lake=lake)
    mo.stop(
        health.is_empty(),
        mo.callout(
            mo.md(f"**The lake is empty.** No Delta table under `{lake.root}` yet."), kind="warn"
        ),
    )
    return (health,)


@app.cell
def _(charts, dash, health, mo):
    table_chart = mo.ui.altair_chart(charts.table_rows_chart(health), legend_selection=False)
    mo.vstack(
        [
            mo.md(f"## Lake tables ({health.height})"),
            table_chart,
            mo.ui.table(dash.tables_table(health), selection=None),
        ]
    )
    return (table_chart,)


@app.cell
def _(con, dash, mo, read_rows, table_chart):
    picked = dash.selected_row(table_chart.value, columns=["table", "layer", "name"])
    mo.stop(picked is None, mo.md("_Click a table's bar to preview its first rows._"))
    mo.vstack(
        [
            mo.md(f"### First rows of `{picked['table']}`"),
            mo.ui.table(
                read_rows(con, layer=picked["layer"], table=picked["name"], limit=20).rows,
                selection=None,
            ),
        ]
    )
    return


@app.cell
def _(con, dash, mo):
    no_log = dash.missing_tables(con, ["raw.ingestion_log"])
    mo.stop(
        bool(no_log),
        mo.callout(mo.md(dash.no_data_message(no_log, what="the ingestion log")), kind="warn"),
    )
    sources = dash.read_source_summary(con)
    return (sources,)


@app.cell
def _(charts, dash, mo, sources):
    source_chart = mo.ui.altair_chart(charts.ingestion_chart(sources), legend_selection=False)
    mo.vstack(
        [
            mo.md("## Ingestion per source"),
            source_chart,
            mo.ui.table(dash.sources_table(sources), selection=None, wrapped_columns=["source"]),
        ]
    )
    return (source_chart,)


@app.cell
def _(con, dash, mo, read_ingestion_log, source_chart):
    picked_source = dash.selected_value(source_chart.value, column="source")
    batches = read_ingestion_log(con, source=picked_source, limit=500)
    mo.vstack(
        [
            mo.md(f"### Ingestion log · {picked_source or 'all sources'} ({batches.height})"),
            mo.ui.table(dash.batches_table(batches), selection=None, wrapped_columns=["source"]),
        ]
    )
    return


@app.cell
def _(con, dash, mo, read_quarantine_summary):
    quarantine_tables = dash.list_quarantine_tables(con)
    mo.stop(
        not quarantine_tables,
        mo.callout(mo.md("**Quarantine is empty.** No row was rejected so far."), kind="success"),
    )
    reasons = read_quarantine_summary(con)
    return quarantine_tables, reasons


@app.cell
def _(charts, mo, reasons):
    reason_chart = mo.ui.altair_chart(
        charts.quarantine_reasons_chart(reasons), legend_selection=False
    )
    return (reason_chart,)


@app.cell
def _(dash, reason_chart):
    picked_table = dash.selected_value(reason_chart.value, column="table")
    picked_reason = dash.selected_value(reason_chart.value, column="reason")
    return picked_reason, picked_table


@app.cell
def _(mo, picked_table, quarantine_tables):
    quarantine_picker = mo.ui.dropdown(
        options=quarantine_tables,
        value=picked_table or quarantine_tables[0],
        label="Quarantine table",
    )
    return (quarantine_picker,)


@app.cell
def _(con, dash, mo, picked_reason, quarantine_picker, reason_chart):
    rejected = dash.read_quarantine_page(con, quarantine_picker.value, reason=picked_reason)
    mo.vstack(
        [
            mo.md("## Quarantine"),
            reason_chart,
            quarantine_picker,
            mo.md(f"_Reason: {picked_reason or 'all (click a bar to filter)'}_"),
            mo.ui.table(
                dash.quarantined_table(rejected), selection=None, wrapped_columns=["reason"]
            ),
        ]
    )
    return


@app.cell
def _(dash, lake):
    mirror = dash.read_mirror_status(lake)
    return (mirror,)


@app.cell
def _(dash, mirror, mo):
    mo.vstack(
        [
            mo.md("## PostgreSQL mirror"),
            mo.callout(
                mo.md(mirror.message),
                kind=mirror.callout_kind,
            ),
            mo.ui.table(dash.mirror_table(mirror.tables), selection=None)
            if mirror.tables.height
            else mo.md(""),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
