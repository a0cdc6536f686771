"""Maps in world coordinates (x, z): a lap coloured by speed, collisions on the track."""

from __future__ import annotations

import altair as alt
import polars as pl

COLLISION_PICK = "collision"
SPOT_PICK = "spot"


def square_domains(
    *frames: tuple[pl.DataFrame, str, str], margin: float = 0.05
) -> tuple[list[float], list[float]]:
    """x and z domains of equal span covering every ``(frame, x, z)``, so maps keep their shape."""
    xs = pl.concat([f.get_column(x).cast(pl.Float64) for f, x, _ in frames if f.height])
    zs = pl.concat([f.get_column(z).cast(pl.Float64) for f, _, z in frames if f.height])
    if xs.is_empty():
        return [0.0, 1.0], [0.0, 1.0]
    cx = (float(xs.max()) + float(xs.min())) / 2  # type: ignore[arg-type]
    cz = (float(zs.max()) + float(zs.min())) / 2  # type: ignore[arg-type]
    half = max(float(xs.max()) - float(xs.min()), float(zs.max()) - float(zs.min()), 1.0)  # type: ignore[arg-type]
    half = half * (1 + margin) / 2
    return [cx - half, cx + half], [cz - half, cz + half]


def speed_map_chart(
    trace: pl.DataFrame, *, window: tuple[float, float] | None = None, size: int = 380
) -> alt.Chart:
    """One lap (``world_x``, ``world_z``, ``speed_kmh`` along the axis ``x``) on the track,
    coloured by speed; with ``window`` (an ``x`` range) the map zooms on that stretch and
    fades the rest."""
    inside = pl.col("x").is_between(*window) if window else pl.lit(True)
    frame = trace.select(
        "world_x", "world_z", "speed_kmh", "x", inside.alias("in_window")
    ).drop_nulls(["world_x", "world_z"])
    focus = frame.filter(pl.col("in_window")) if window else frame
    x_domain, z_domain = square_domains(
        (focus if focus.height else frame, "world_x", "world_z"), margin=0.3 if window else 0.05
    )
    return (
        alt.Chart(
            frame, title="Track map (zoomed on the brushed stretch)" if window else "Track map"
        )
        .mark_circle(clip=True)
        .encode(
            x=alt.X("world_x:Q", scale=alt.Scale(domain=x_domain), axis=None),
            y=alt.Y("world_z:Q", scale=alt.Scale(domain=z_domain, reverse=True), axis=None),
            color=alt.Color("speed_kmh:Q", title="km/h", scale=alt.Scale(scheme="turbo")),
            size=alt.condition("datum.in_window", alt.value(30), alt.value(6)),
            opacity=alt.condition("datum.in_window", alt.value(1.0), alt.value(0.2)),
            tooltip=[
                alt.Tooltip("x:Q", format=",.0f", title="position"),
                alt.Tooltip("speed_kmh:Q", format=".1f"),
            ],
        )
        .properties(width=size, height=size)
    )


def collisions_map_chart(
    outline: pl.DataFrame, collisions: pl.DataFrame, *, size: int = 420
) -> alt.LayerChart:
    """The track outline with each collision where it happened (click to pick, param
    ``collision``); car/car and car/wall collisions differ in shape, impact speed in size."""
    x_domain, z_domain = square_domains((outline, "x", "z"), (collisions, "world_x", "world_z"))
    x_scale, z_scale = alt.Scale(domain=x_domain), alt.Scale(domain=z_domain, reverse=True)
    track = (
        alt.Chart(outline.select("x", "z"))
        .mark_circle(size=5, color="#9aa0a6")
        .encode(x=alt.X("x:Q", scale=x_scale, axis=None), y=alt.Y("z:Q", scale=z_scale, axis=None))
    )
    pick = alt.selection_point(name=COLLISION_PICK, fields=["collision_no"], on="click")
    hits = (
        alt.Chart(collisions.with_columns(pl.col("ts").cast(pl.String)))
        .mark_point(filled=True, color="#d93025")
        .encode(
            x=alt.X("world_x:Q", scale=x_scale, axis=None),
            y=alt.Y("world_z:Q", scale=z_scale, axis=None),
            shape=alt.Shape("kind:N", title="collision"),
            size=alt.Size(
                "impact_speed:Q", title="impact (km/h)", scale=alt.Scale(range=[60, 400])
            ),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
            tooltip=[
                "collision_no:O",
                "ts:N",
                "kind:N",
                "driver_name:N",
                "other_driver_name:N",
                alt.Tooltip("impact_speed:Q", format=".1f"),
            ],
        )
        .add_params(pick)
    )
    return alt.layer(track, hits).properties(width=size, height=size)


def sector_lines_chart(
    outline: pl.DataFrame, marks: pl.DataFrame, *, size: int = 420
) -> alt.LayerChart:
    """A lap's ``outline`` (``distance_m, x, z``) with the sector lines ``marks`` (``label``,
    ``x``, ``z``) on it; clicking the track picks its nearest point (param ``spot``), whose
    ``distance_m`` is where a line there would go."""
    x_domain, z_domain = square_domains((outline, "x", "z"))
    x = alt.X("x:Q", scale=alt.Scale(domain=x_domain), axis=None)
    z = alt.Y("z:Q", scale=alt.Scale(domain=z_domain, reverse=True), axis=None)
    spot = alt.selection_point(
        name=SPOT_PICK, on="click", nearest=True, fields=["distance_m"], empty=False
    )
    track = (
        alt.Chart(outline, title="Sector lines on the fastest lap (click to read a distance)")
        .mark_circle(size=12, color="#888")
        .encode(
            x=x,
            y=z,
            size=alt.condition(spot, alt.value(160), alt.value(12)),
            tooltip=[alt.Tooltip("distance_m:Q", format=",.0f", title="from the line (m)")],
        )
        .add_params(spot)
    )
    lines = alt.Chart(marks).encode(x=x, y=z)
    points = lines.mark_point(shape="diamond", size=220, filled=True, color="#d62728").encode(
        tooltip=[
            alt.Tooltip("label:N", title="line"),
            alt.Tooltip("distance_m:Q", format=",.0f", title="from the line (m)"),
        ]
    )
    labels = lines.mark_text(dx=14, dy=-10, fontWeight="bold", color="#d62728").encode(
        text="label:N"
    )
    return alt.layer(track, points, labels).properties(width=size, height=size)
