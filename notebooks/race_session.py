import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Pitwall · Race and session")


@app.cell
def _():
    import marimo as mo

    from pitwall import dashboards as dash
    from pitwall.dashboards import charts
    from pitwall.dashboards.race import REQUIRED_TABLES
    from pitwall.queries import read_session_laps, read_session_leaderboard, read_sessions
    from pitwall.sql import connect

    return (
        REQUIRED_TABLES,
        charts,
        connect,
        dash,
        mo,
        read_session_laps,
        read_session_leaderboard,
        read_sessions,
    )


@app.cell
def _(mo):
    mo.md("""
    # Race and session
    Server plugin data of one session: the leaderboard, positions after every lap, lap
    times, the gaps between drivers and the collisions. Click a driver in the positions
    chart to focus the lap-time and gap charts on them; click a collision on the map to
    list it alone.
    """)
    return


@app.cell
def _(REQUIRED_TABLES, connect, dash):
    con = connect()
    missing = dash.missing_tables(con, REQUIRED_TABLES)
    return con, missing


@app.cell
def _(con, dash, missing, mo, read_sessions):
    mo.stop(
        bool(missing),
        mo.callout(mo.md(dash.no_data_message(missing, what="race sessions")), kind="warn"),
    )
    sessions = read_sessions(con, protocol="server")
    mo.stop(
        sessions.is_empty(),
        mo.callout(mo.md("**No server session yet.** Capture a race first."), kind="warn"),
    )
    session_options = dash.session_choices(sessions)
    return (session_options,)


@app.cell
def _(mo, session_options):
    session_picker = mo.ui.dropdown(
        options=session_options, value=next(iter(session_options)), label="Session"
    )
    session_picker
    return (session_picker,)


@app.cell
def _(con, dash, mo, read_sessions, session_picker):
    facts = dash.session_facts(read_sessions(con, session_id=session_picker.value))
    mo.vstack(
        [
            mo.md("## Session"),
            mo.hstack([mo.stat(value, label=label) for label, value in facts.items()], wrap=True),
        ]
    )
    return


@app.cell
def _(con, dash, mo, read_session_leaderboard, session_picker):
    leaderboard = read_session_leaderboard(con, session_picker.value)
    mo.vstack(
        [
            mo.md("## Leaderboard"),
            mo.ui.table(dash.leaderboard_table(leaderboard), selection=None, page_size=24),
        ]
    )
    return


@app.cell
def _(con, dash, read_session_laps, session_picker):
    lap_positions = dash.read_lap_positions(con, session_picker.value)
    laps = read_session_laps(con, session_picker.value)
    return lap_positions, laps


@app.cell
def _(charts, lap_positions, mo):
    positions = mo.ui.altair_chart(charts.positions_chart(lap_positions))
    mo.vstack([mo.md("## Positions over the laps"), positions])
    return (positions,)


@app.cell
def _(dash, lap_positions, laps, positions):
    picked_laps = dash.filter_by_selection(laps, positions.value, columns=["driver_name"])
    picked_positions = dash.filter_by_selection(
        lap_positions, positions.value, columns=["driver_name"]
    )
    return picked_laps, picked_positions


@app.cell
def _(charts, mo, picked_laps, picked_positions):
    mo.vstack(
        [
            mo.md("## Lap times"),
            mo.ui.altair_chart(charts.lap_times_chart(picked_laps), chart_selection=False),
            mo.md("## Gaps"),
            mo.ui.altair_chart(charts.gaps_chart(picked_positions), chart_selection=False),
        ]
    )
    return


@app.cell
def _(con, dash, mo, session_picker):
    no_collisions = dash.missing_tables(con, ["clean.ac_collisions"])
    mo.stop(
        bool(no_collisions),
        mo.callout(mo.md(dash.no_data_message(no_collisions, what="collisions")), kind="info"),
    )
    collisions = dash.read_collisions(con, session_picker.value)
    outline = dash.read_track_outline(con, session_picker.value)
    return collisions, outline


@app.cell
def _(charts, collisions, mo, outline):
    collision_map = mo.ui.altair_chart(charts.collisions_map_chart(outline, collisions))
    return (collision_map,)


@app.cell
def _(collision_map, collisions, dash, mo):
    picked_collisions = dash.filter_by_selection(
        collisions, collision_map.apply_selection(collisions), columns=["collision_no"]
    )
    mo.vstack(
        [
            mo.md(f"## Collisions ({collisions.height})"),
            mo.hstack(
                [
                    collision_map,
                    mo.ui.table(dash.collisions_table(picked_collisions), selection=None),
                ],
                widths=[1, 1],
            ),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
