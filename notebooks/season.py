import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Pitwall · Season")


@app.cell
def _():
    import marimo as mo

    from pitwall import dashboards as dash
    from pitwall.dashboards import season
    from pitwall.dashboards.charts import season as season_charts
    from pitwall.queries import head_to_head, racing_laps
    from pitwall.sql import connect

    return connect, dash, head_to_head, mo, racing_laps, season, season_charts


@app.cell
def _(mo):
    mo.md("""
    # Season
    Every session in the lake on one circuit, per driver: best lap, the theoretical best
    from their best sectors across sessions, consistency (the spread of racing laps),
    improvement from their first session to their last, track-limit cuts and collisions
    per 100 km, and a head-to-head against a rival. A lap timed by the server and captured
    by the driver's game counts once.
    """)
    return


@app.cell
def _(connect, dash, season):
    con = connect()
    missing = dash.missing_tables(con, season.REQUIRED_TABLES)
    return con, missing


@app.cell
def _(con, dash, missing, mo, season):
    mo.stop(
        bool(missing),
        mo.callout(mo.md(dash.no_data_message(missing, what="the season view")), kind="warn"),
    )
    circuit_options = season.circuit_choices(con)
    mo.stop(
        not circuit_options,
        mo.callout(mo.md("**No laps yet.** No session has a timed lap."), kind="warn"),
    )
    return (circuit_options,)


@app.cell
def _(circuit_options, mo):
    circuit_picker = mo.ui.dropdown(
        options=circuit_options, value=next(iter(circuit_options)), label="Circuit"
    )
    return (circuit_picker,)


@app.cell
def _(circuit_picker, con, mo, season):
    car_picker = mo.ui.dropdown(
        options=season.car_choices(con, circuit_picker.value), value=season.ALL_CARS, label="Car"
    )
    return (car_picker,)


@app.cell
def _(car_picker, circuit_picker, con, season):
    year = season.read_season(con, circuit_picker.value, car_model=car_picker.value)
    return (year,)


@app.cell
def _(car_picker, circuit_picker, mo, season, year):
    mo.vstack(
        [
            mo.hstack([circuit_picker, car_picker], justify="start"),
            mo.md(f"## Drivers ({year.drivers.height})"),
            mo.ui.table(season.drivers_table(year.drivers), selection=None, page_size=25),
        ]
    )
    return


@app.cell
def _(mo, season_charts, year):
    mo.vstack(
        [
            mo.md("## Improvement over time"),
            mo.ui.altair_chart(season_charts.progress_chart(year.progress), chart_selection=False),
        ]
    )
    return


@app.cell
def _(mo, racing_laps, season_charts, year):
    mo.hstack(
        [
            mo.ui.altair_chart(
                season_charts.consistency_chart(racing_laps(year.laps), width=420),
                chart_selection=False,
            ),
            mo.ui.altair_chart(season_charts.incidents_chart(year.drivers), chart_selection=False),
        ],
        justify="start",
    )
    return


@app.cell
def _(mo, season, year):
    driver_options = season.driver_choices(year.drivers)
    names = list(driver_options)
    driver_picker = mo.ui.dropdown(options=driver_options, value=names[0], label="Driver")
    rival_picker = mo.ui.dropdown(
        options=driver_options, value=names[1] if len(names) > 1 else names[0], label="Rival"
    )
    return driver_picker, rival_picker


@app.cell
def _(driver_picker, head_to_head, mo, rival_picker, season, season_charts, year):
    duel = head_to_head(year.laps, driver=driver_picker.value, rival=rival_picker.value)
    mo.vstack(
        [
            mo.md("## Head-to-head"),
            mo.hstack([driver_picker, rival_picker], justify="start"),
            mo.md(season.head_to_head_summary(duel)),
            mo.ui.altair_chart(season_charts.head_to_head_chart(duel), chart_selection=False)
            if duel.height
            else mo.md("_No session with a counted lap of both._"),
            mo.ui.table(
                season.head_to_head_table(
                    year.laps, driver=driver_picker.value, rival=rival_picker.value
                ),
                selection=None,
            ),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
