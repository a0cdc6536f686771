import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Pitwall · reference data editor")


@app.cell
def _():
    import marimo as mo

    from pitwall.dashboards import charts
    from pitwall.dashboards import ref_editor as ed
    from pitwall.sql import connect

    return charts, connect, ed, mo


@app.cell
def _(mo):
    mo.md("""
    # Reference data editor
    Attach a driver identity the lake has seen (an AC GUID or an in-game name) to a person,
    and type a circuit's sector lines, seen on its track map (click the track to read a
    point's distance from the line). Every change goes through the read API under `/ref`
    with your token (role `editor`), so it is validated and audited like any other.
    """)
    return


@app.cell
def _(ed, mo):
    default_url, default_token = ed.api_settings()
    api_url = mo.ui.text(value=default_url, label="API", full_width=True)
    token = mo.ui.text(value=default_token, kind="password", label="Access token")
    mo.hstack([api_url, token])
    return api_url, token


@app.cell
def _(api_url, ed, mo, token):
    client = ed.RefApiClient(api_url.value, token.value)
    identities, people, problem = ed.read_reference(client)
    mo.callout(mo.md(problem), kind="warn") if problem else None
    return client, identities, people, problem


@app.cell
def _(connect, ed, identities):
    con = connect()
    unmatched = ed.unmatched_identities(ed.read_seen_identities(con), identities)
    return con, unmatched


@app.cell
def _(mo, people, unmatched):
    identity_picker = mo.ui.dropdown(
        options={f"{k}: {v}": f"{k}:{v}" for k, v in unmatched.select("kind", "value").rows()},
        label="Unmatched identity",
    )
    person_picker = mo.ui.dropdown(
        options={f"{p['name']} ({p['person_id']})": p["person_id"] for p in people},
        label="Person",
    )
    new_person = mo.ui.text(label="or a new person id")
    new_name = mo.ui.text(label="with the name")
    attach = mo.ui.run_button(label="Attach")
    mo.vstack(
        [
            mo.md(f"**{unmatched.height}** identities seen in the lake belong to nobody yet."),
            identity_picker,
            mo.hstack([person_picker, new_person, new_name]),
            attach,
        ]
    )
    return attach, identity_picker, new_name, new_person, person_picker


@app.cell
def _(attach, client, ed, identity_picker, mo, new_name, new_person, person_picker):
    mo.stop(not attach.value or not identity_picker.value)
    _kind, _value = identity_picker.value.split(":", 1)
    try:
        _row = client.attach_identity(
            kind=_kind,
            value=_value,
            person_id=new_person.value or person_picker.value or "",
            name=new_name.value or None,
        )
        _done = mo.callout(mo.md(f"`{_value}` is now `{_row['person_id']}`"), kind="success")
    except ed.RefApiError as _exc:
        _done = mo.callout(mo.md(f"Refused: {_exc.detail}"), kind="danger")
    _done
    return


@app.cell
def _(mo):
    track = mo.ui.text(label="Track")
    layout = mo.ui.text(label="Layout (empty: the default)")
    lines = mo.ui.text(label="Sector lines (m from the start line)", placeholder="1800, 3900")
    length = mo.ui.number(start=1, stop=99_999, value=5000, label="Lap length (m)")
    save_lines = mo.ui.run_button(label="Save lines")
    mo.vstack([mo.md("## Sector lines"), mo.hstack([track, layout]), lines, length, save_lines])
    return layout, length, lines, save_lines, track


@app.cell
def _(client, ed, layout, length, lines, mo, save_lines, track):
    mo.stop(not save_lines.value)
    try:
        _row = client.set_sector_lines(
            track=track.value,
            layout=layout.value,
            lines_m=ed.parse_lines_m(lines.value),
            length_m=float(length.value),
        )
        _saved = mo.callout(mo.md(f"Saved, version {_row['version']}"), kind="success")
    except (ValueError, ed.RefApiError) as _exc:
        _saved = mo.callout(mo.md(f"Refused: {_exc}"), kind="danger")
    _saved
    return


@app.cell
def _(charts, con, ed, layout, lines, mo, track):
    outline = ed.read_lap_outline(con, track.value, layout=layout.value)
    try:
        typed_m = ed.parse_lines_m(lines.value)
    except ValueError:
        typed_m = []
    sector_map = (
        mo.ui.altair_chart(
            charts.sector_lines_chart(outline, ed.sector_marks(outline, typed_m)),
            legend_selection=False,
        )
        if outline.height
        else None
    )
    no_map = mo.md(
        "_No telemetry lap of this circuit in the lake: type the lines in metres._"
        if track.value.strip()
        else "_Type a track (e.g. `ks_monza`) to see its map._"
    )
    sector_map if sector_map is not None else no_map
    return (sector_map,)


@app.cell
def _(ed, mo, sector_map):
    spot_m = None if sector_map is None else ed.picked_distance(sector_map.selections)
    if spot_m is not None:
        spot_note = mo.md(
            f"Clicked **{spot_m:,.0f} m** from the start line: type it into the sector lines."
        )
    elif sector_map is not None:
        spot_note = mo.md("_Click the track to read where a line there would go._")
    else:
        spot_note = mo.md("")
    spot_note
    return (spot_m,)


if __name__ == "__main__":
    app.run()
