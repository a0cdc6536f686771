import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Pitwall · SQL explorer")


@app.cell
def _():
    import marimo as mo

    from pitwall import dashboards as dash
    from pitwall.dashboards import charts

    return charts, dash, mo


@app.cell
def _(mo):
    mo.md("""
    # SQL explorer
    DuckDB SQL over the lake: every Delta table is a view `raw.<table>`,
    `clean.<table>` or `quarantine.<table>`. Pick an example or write a query; the
    result shows as a table and, when it has numbers, as a quick chart (brush or click
    it to list the rows you picked). Time travel: type a version number or a timestamp
    in "As of" to query the lake as it was then. Queries only read, in a sandbox: the lake's tables
    and nothing else on the server. Open this notebook with `marimo edit` to add SQL
    cells of your own (`engine=con`).
    """)
    return


@app.cell
def _(mo):
    as_of_picker = mo.ui.text(
        value=str(mo.cli_args().get("as-of") or ""),
        label="As of (a version number or a timestamp; empty: now)",
        full_width=True,
    )
    as_of_picker
    return (as_of_picker,)


@app.cell
def _(as_of_picker, dash, mo):
    lake_view = dash.open_lake_view(as_of_picker.value)
    mo.stop(lake_view.con is None, mo.callout(mo.md(f"**{lake_view.error}**"), kind="danger"))
    con = lake_view.con
    mo.md(f"_Reading {lake_view.label}._")
    return (con,)


@app.cell
def _(con, mo):
    catalog = mo.sql(
        """
        SELECT table_schema AS layer, table_name AS name,
               count(*) AS columns
        FROM information_schema.columns
        WHERE table_schema IN ('raw', 'clean', 'quarantine')
        GROUP BY ALL
        ORDER BY layer, name
        """,
        engine=con,
    )
    return


@app.cell
def _(con, dash, mo):
    examples = dash.example_queries(con)
    example_picker = mo.ui.dropdown(
        options=examples,
        value=next(iter(examples), None),
        label="Example",
    )
    example_picker
    return (example_picker,)


@app.cell
def _(con, dash, example_picker, mo):
    editor = mo.ui.code_editor(
        value=example_picker.value or dash.default_query(con),
        language="sql",
        label="Query (edit, then click outside to run)",
        min_height=120,
    )
    editor
    return (editor,)


@app.cell
def _(con, dash, editor):
    result = dash.run_query(editor.value, engine=con)
    return (result,)


@app.cell
def _(mo, result):
    mo.stop(result.error is not None, mo.callout(mo.md(f"```\n{result.error}\n```"), kind="danger"))
    mo.ui.table(result.frame, label=f"{result.frame.height} rows", selection=None)
    return


@app.cell
def _(charts, mo, result):
    mo.stop(result.frame is None)
    quick = charts.quick_chart(result.frame)
    mo.stop(quick is None, mo.md("_No numeric column to chart._"))
    quick_view = mo.ui.altair_chart(quick)
    quick_view
    return (quick_view,)


@app.cell
def _(mo, quick_view):
    mo.stop(quick_view.value.is_empty(), mo.md("_Brush or click the chart to list rows._"))
    mo.ui.table(quick_view.value, label="Picked rows", selection=None)
    return


if __name__ == "__main__":
    app.run()
