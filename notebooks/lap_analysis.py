import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Pitwall · Lap analysis")


@app.cell
def _():
    import marimo as mo

    from pitwall import dashboards as dash
    from pitwall.dashboards import charts
    from pitwall.dashboards.laps import REQUIRED_TABLES
    from pitwall.queries import read_circuit_sectors, read_telemetry_laps
    from pitwall.sql import connect

    return (
        REQUIRED_TABLES,
        charts,
        connect,
        dash,
        mo,
        read_circuit_sectors,
        read_telemetry_laps,
    )


@app.cell
def _(mo):
    mo.md("""
    # Lap analysis
    Laps of a session overlaid with a reference lap from any session or driver on the same
    circuit and car: the channels stacked on one track-position (or time) axis with the
    time delta under them, a cursor reading every channel of every lap (hover, or click to
    pin it), the track map, the G-G diagram, histograms and sector times. Drag across the
    overview to zoom every chart on a stretch of the lap.
    """)
    return


@app.cell
def _(REQUIRED_TABLES, connect, dash):
    con = connect()
    missing = dash.missing_tables(con, REQUIRED_TABLES)
    return con, missing


@app.cell
def _(con, dash, missing, mo):
    mo.stop(
        bool(missing),
        mo.callout(mo.md(dash.no_data_message(missing, what="lap analysis")), kind="warn"),
    )
    sessions = dash.read_telemetry_sessions(con)
    mo.stop(
        sessions.is_empty(),
        mo.callout(mo.md("**No telemetry yet.** No session has a complete lap."), kind="warn"),
    )
    session_options = dict(zip(sessions["label"], sessions["session_id"], strict=True))
    return session_options, sessions


@app.cell
def _(mo, session_options):
    session_picker = mo.ui.dropdown(
        options=session_options, value=next(iter(session_options)), label="Session"
    )
    return (session_picker,)


@app.cell
def _(con, dash, read_telemetry_laps, session_picker, sessions):
    session = sessions.filter(sessions["session_id"] == session_picker.value).row(0, named=True)
    session_laps = dash.read_session_laps_with_telemetry(con, session_picker.value)
    circuit_laps = read_telemetry_laps(
        con, track=session["track"], layout=session["layout"], car_model=session["car_model"]
    )
    return circuit_laps, session, session_laps


@app.cell
def _(circuit_laps, dash, mo, session, session_laps, session_picker):
    lap_picker = mo.ui.multiselect(
        options=dash.lap_choices(session_laps),
        value=[
            label
            for label, key in dash.lap_choices(session_laps).items()
            if key in dash.default_lap_keys(session_laps)
        ],
        label="Laps",
    )
    reference_options = dash.reference_choices(
        circuit_laps, session_id=session_picker.value, driver_key=session["driver_key"]
    )
    reference_picker = mo.ui.dropdown(
        options=reference_options, value=next(iter(reference_options)), label="Reference"
    )
    axis_picker = mo.ui.radio(
        options={"track position": "distance", "lap time": "time"},
        value="track position",
        label="x axis",
        inline=True,
    )
    return axis_picker, lap_picker, reference_picker


@app.cell
def _(con, mo, read_circuit_sectors, session):
    math_text = mo.ui.text_area(
        value="speed_ms = speed_kmh / 3.6\n"
        'brake_bias = pl.col("tyre_load_fl") / (pl.col("tyre_load_fl") + pl.col("tyre_load_rl"))',
        label="Math channels: `name = SQL` or `name = polars expression`, one per line",
        rows=3,
        full_width=True,
    )
    circuit_sectors = read_circuit_sectors(
        con, session["track"], track_config=session["layout"] or None
    )
    sector_text = mo.ui.text(
        value=", ".join(f"{v:.3f}" for v in circuit_sectors["end_pos"].to_list()[:-1]),
        label=f"Sector lines of {circuit_sectors['name'][0]} (fractions of the lap)",
    )
    return math_text, sector_text


@app.cell
def _(con, dash, math_text, mo):
    channel_options, _problems = dash.channel_options(con, math_text.value)
    channel_picker = mo.ui.multiselect(
        options=channel_options,
        value=[c for c in dash.DEFAULT_CHANNELS if c in channel_options],
        label="Channels",
    )
    return (channel_picker,)


@app.cell
def _(
    axis_picker,
    channel_picker,
    lap_picker,
    math_text,
    mo,
    reference_picker,
    sector_text,
    session_picker,
):
    mo.vstack(
        [
            mo.hstack([session_picker, reference_picker], wrap=True, justify="start"),
            mo.hstack([lap_picker, channel_picker, axis_picker], wrap=True, justify="start"),
            mo.hstack([math_text, sector_text], widths=[3, 1]),
        ]
    )
    return


@app.cell
def _(
    axis_picker,
    channel_picker,
    circuit_laps,
    con,
    dash,
    lap_picker,
    math_text,
    reference_picker,
):
    analysis = dash.analyse_laps(
        con,
        circuit_laps,
        keys=lap_picker.value,
        reference=reference_picker.value,
        axis=axis_picker.value,
        channels=channel_picker.value,
        math=math_text.value,
    )
    shown, aligned, plotted, math_errors = (
        analysis.shown,
        analysis.aligned,
        analysis.plotted,
        analysis.problems,
    )
    return aligned, math_errors, plotted, shown


@app.cell
def _(aligned, math_errors, mo):
    mo.stop(
        aligned.is_empty(),
        mo.callout(mo.md("Pick at least one lap or a reference lap."), kind="info"),
    )
    mo.callout(mo.md("  \n".join(f"`{e}`" for e in math_errors)), kind="warn") if (
        math_errors
    ) else None
    return


@app.cell
def _(aligned, axis_picker, charts, mo):
    overview = mo.ui.altair_chart(
        charts.overview_chart(aligned, axis=axis_picker.value), legend_selection=False
    )
    overview
    return (overview,)


@app.cell
def _(dash, overview):
    window = dash.window_from(overview.value)
    return (window,)


@app.cell
def _(aligned, axis_picker, charts, mo, plotted, window):
    stack = mo.ui.altair_chart(
        charts.stack_chart(aligned, channels=plotted, axis=axis_picker.value, window=window),
        chart_selection="point",
        legend_selection=False,
    )
    mo.vstack(
        [
            mo.md(
                "## Channels and time delta"
                + (f" · zoomed on {window[0]:,.0f} to {window[1]:,.0f}" if window else "")
            ),
            mo.md("_Hover for every lap's values, here and below; click to pin the cursor._"),
            stack,
        ]
    )
    return (stack,)


@app.cell
def _(aligned, charts, dash, mo, plotted, stack, window):
    pinned = dash.selected_point(stack.selections, param=charts.CURSOR, field="x")
    hovered = dash.selected_point(stack.selections, param=charts.HOVER, field="x")
    cursor = next((x for x in (pinned, hovered) if x is not None), window[0] if window else 0.0)
    mo.vstack(
        [
            mo.md(
                f"## Cursor at {dash.nearest_x(aligned, cursor):,.1f}"
                + ("" if pinned is not None else " (hover the traces; click to pin it)")
            ),
            mo.ui.table(
                dash.cursor_readout(aligned, at=cursor, channels=plotted),
                selection=None,
                page_size=20,
            ),
        ]
    )
    return


@app.cell
def _(aligned, charts, dash, mo, shown, window):
    first = aligned.filter(aligned["label"] == shown["label"][0])
    mo.hstack(
        [
            mo.ui.altair_chart(charts.speed_map_chart(first, window=window), chart_selection=False),
            mo.ui.altair_chart(
                charts.gg_chart(dash.gg_points(aligned, window)), chart_selection=False
            ),
        ],
        justify="start",
    )
    return


@app.cell
def _(aligned, charts, mo, window):
    mo.vstack(
        [
            mo.md("## Histograms" + (" of the zoomed stretch" if window else "")),
            mo.ui.altair_chart(
                charts.histograms_chart(aligned, window=window), chart_selection=False
            ),
        ]
    )
    return


@app.cell
def _(aligned, dash, mo, shown, window):
    mo.vstack(
        [
            mo.md("## Laps shown"),
            mo.ui.table(dash.lap_summary(shown, aligned, window=window), selection=None),
        ]
    )
    return


@app.cell
def _(con, dash, sector_text, shown):
    try:
        lines = dash.parse_sector_lines(sector_text.value)
        sector_times, sector_table = dash.sector_summary(con, shown, lines=lines)
        sector_problem = None
    except ValueError as exc:
        sector_times, sector_table, sector_problem = None, None, str(exc)
    return sector_problem, sector_table, sector_times


@app.cell
def _(charts, mo, sector_problem, sector_table, sector_times, shown):
    mo.stop(
        sector_problem is not None,
        mo.callout(mo.md(f"Sector lines: {sector_problem}"), kind="warn"),
    )
    mo.stop(sector_times.is_empty(), mo.md("_No complete lap to split into sectors._"))
    mo.vstack(
        [
            mo.md("## Sectors and theoretical best"),
            mo.hstack(
                [
                    mo.ui.altair_chart(
                        charts.sectors_chart(sector_times, laps=shown), chart_selection=False
                    ),
                    mo.ui.table(sector_table, selection=None),
                ],
                widths=[1, 1],
            ),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
