import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Pitwall · Lap analysis")


@app.cell
def _():
    import marimo as mo

    from pitwall import dashboards as dash
    from pitwall.dashboards import charts
    from pitwall.dashboards.laps import REQUIRED_TABLES
    from pitwall.queries import read_session_laps
    from pitwall.sql import connect

    return REQUIRED_TABLES, charts, connect, dash, mo, read_session_laps


@app.cell
def _(mo):
    mo.md("""
    # Lap analysis
    Game telemetry of one car: channels against distance, two laps overlaid with the
    running time delta, the lap on the track coloured by speed, sector times and the
    theoretical best lap. Brush the channel chart to zoom the map and the summary on a
    stretch of the lap.
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
        mo.callout(mo.md("**No telemetry yet.** No session has game telemetry."), kind="warn"),
    )
    session_options = dash.session_choices(sessions)
    return (session_options,)


@app.cell
def _(mo, session_options):
    session_picker = mo.ui.dropdown(
        options=session_options, value=next(iter(session_options)), label="Session"
    )
    return (session_picker,)


@app.cell
def _(con, dash, session_picker):
    traced = dash.read_traced_laps(con, session_picker.value)
    car_options = dash.car_choices(traced)
    return car_options, traced


@app.cell
def _(car_options, mo):
    car_picker = mo.ui.dropdown(options=car_options, value=next(iter(car_options)), label="Car")
    return (car_picker,)


@app.cell
def _(car_picker, dash, traced):
    lap_options = dash.lap_choices(traced, car_id=car_picker.value)
    best_lap, second_lap = dash.default_laps(traced, car_id=car_picker.value)
    lap_labels = {number: label for label, number in lap_options.items()}
    return best_lap, lap_labels, lap_options, second_lap


@app.cell
def _(best_lap, lap_labels, lap_options, mo, second_lap):
    lap_picker = mo.ui.dropdown(options=lap_options, value=lap_labels.get(best_lap), label="Lap")
    compare_picker = mo.ui.dropdown(
        options=lap_options, value=lap_labels.get(second_lap), label="Compare with"
    )
    sector_count = mo.ui.number(start=1, stop=12, value=3, label="Sectors")
    return compare_picker, lap_picker, sector_count


@app.cell
def _(car_picker, compare_picker, lap_picker, mo, sector_count, session_picker):
    mo.hstack([session_picker, car_picker, lap_picker, compare_picker, sector_count], wrap=True)
    return


@app.cell
def _(car_picker, compare_picker, con, dash, lap_picker, session_picker):
    traces = dash.read_lap_traces(
        con,
        session_picker.value,
        car_id=car_picker.value,
        laps=[lap_picker.value, compare_picker.value],
    )
    reference = dash.select_lap(traces, lap_picker.value)
    compared = dash.select_lap(traces, compare_picker.value)
    return compared, reference, traces


@app.cell
def _(charts, mo, traces):
    channels = mo.ui.altair_chart(charts.channels_chart(traces), legend_selection=False)
    return (channels,)


@app.cell
def _(channels, mo):
    mo.vstack([mo.md("## Channels against distance"), channels])
    return


@app.cell
def _(channels, dash):
    window = dash.distance_window(channels.value)
    return (window,)


@app.cell
def _(charts, dash, mo, reference, traces, window):
    mo.hstack(
        [
            mo.vstack(
                [
                    mo.md("## Track map"),
                    mo.ui.altair_chart(
                        charts.speed_map_chart(reference, window=window), chart_selection=False
                    ),
                ]
            ),
            mo.vstack(
                [
                    mo.md("## Brushed stretch" if window else "## Whole lap (brush to zoom)"),
                    mo.ui.table(dash.window_summary(traces, window), selection=None),
                ]
            ),
        ],
        widths=[1, 1],
    )
    return


@app.cell
def _(charts, compared, dash, lap_picker, mo, reference):
    mo.stop(
        compared.is_empty() or reference.is_empty(),
        mo.callout(mo.md("Pick a second lap to compare with."), kind="info"),
    )
    delta = dash.lap_delta(reference, compared)
    mo.vstack(
        [
            mo.md("## Time delta"),
            mo.ui.altair_chart(
                charts.delta_chart(delta, title=f"against lap {lap_picker.value}"),
                chart_selection=False,
            ),
        ]
    )
    return


@app.cell
def _(car_picker, con, dash, read_session_laps, sector_count, session_picker):
    progress = dash.read_lap_progress(con, session_picker.value, car_id=car_picker.value)
    official_laps = read_session_laps(con, session_picker.value, car_id=car_picker.value)
    sectors = dash.sector_times(progress, official_laps, sectors=sector_count.value)
    best_sectors = dash.theoretical_best(sectors)
    best = dash.best_lap_summary(official_laps, best_sectors)
    return best, best_sectors, sectors


@app.cell
def _(best, best_sectors, charts, dash, mo, sectors):
    mo.stop(
        sectors.is_empty(),
        mo.callout(mo.md("No complete lap with telemetry: no sector times yet."), kind="info"),
    )
    mo.vstack(
        [
            mo.md("## Sectors and theoretical best"),
            mo.hstack(
                [
                    mo.stat(dash.format_lap_time(best["best_lap_ms"]), label="Best lap"),
                    mo.stat(
                        dash.format_lap_time(best["theoretical_best_ms"]),
                        label="Theoretical best",
                    ),
                    mo.stat(dash.format_lap_time(best["gain_ms"]), label="Possible gain"),
                ]
            ),
            mo.hstack(
                [
                    mo.ui.altair_chart(charts.sectors_chart(sectors), chart_selection=False),
                    mo.ui.table(best_sectors, selection=None, label="Best sectors"),
                ]
            ),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
