"""What the reference data editor (``notebooks/ref_editor.py``) does: find the driver identities
the lake has seen that no person claims, and change reference data through the read API with
the user's token, so that every change is validated and audited like any other.

The API is found at ``PITWALL_API_URL`` (default the demo's), the token in
``PITWALL_API_TOKEN`` or typed into the app (``pitwall token`` prints one).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import polars as pl

from pitwall.dashboards.charts.track import SPOT_PICK
from pitwall.queries.frames import Connection, fetch_frame
from pitwall.queries.reference import read_telemetry_laps
from pitwall.queries.schema import has_table

DEMO_API_URL = "http://127.0.0.1:8000"
SEEN_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "value": pl.String(),
    "sessions": pl.Int64(),
}


OUTLINE_SCHEMA: dict[str, pl.DataType] = {
    "distance_m": pl.Float64(),
    "x": pl.Float64(),
    "z": pl.Float64(),
}
OUTLINE_POINTS = 1500  # enough to click a point within a few metres on any circuit


class RefApiError(Exception):
    """The API refused a change; ``detail`` is its problem detail (validation errors too)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


def api_settings() -> tuple[str, str]:
    """``(API URL, token)`` from the environment (the token may be empty)."""
    url = os.environ.get("PITWALL_API_URL", DEMO_API_URL).rstrip("/")
    return url, os.environ.get("PITWALL_API_TOKEN", "")


def read_seen_identities(con: Connection) -> pl.DataFrame:
    """The AC GUIDs and in-game names of ``clean.ac_drivers``, with the sessions of each."""
    if not has_table(con, layer="clean", table="ac_drivers"):
        return pl.DataFrame(schema=SEEN_SCHEMA)
    seen = fetch_frame(
        con,
        """
        SELECT kind, value, CAST(count(DISTINCT session_id) AS BIGINT) AS sessions FROM (
            SELECT 'ac_guid' AS kind, driver_guid AS value, session_id FROM clean.ac_drivers
            WHERE driver_guid IS NOT NULL AND driver_guid <> ''
            UNION ALL
            SELECT 'ingame_name', driver_name, session_id FROM clean.ac_drivers
            WHERE driver_name IS NOT NULL AND driver_name <> ''
        ) GROUP BY kind, value ORDER BY kind, value
        """,
    )
    return seen.cast(SEEN_SCHEMA)  # type: ignore[arg-type]


def unmatched_identities(seen: pl.DataFrame, identities: list[dict[str, Any]]) -> pl.DataFrame:
    """The seen identities no live reference identity maps to a person."""
    claimed = pl.DataFrame(
        [(i["kind"], i["value"]) for i in identities],
        schema={"kind": pl.String(), "value": pl.String()},
        orient="row",
    )
    return seen.join(claimed, on=["kind", "value"], how="anti")


def read_reference(client: RefApiClient) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
    """``(identities, people, problem)``: the live rows, or nothing and what went wrong."""
    if not client.token:
        return [], [], "No token: paste one (`pitwall token` prints it) or set PITWALL_API_TOKEN."
    try:
        return client.list_rows("identities"), client.list_rows("people"), ""
    except (RefApiError, httpx.HTTPError) as exc:
        return [], [], f"The API at {client.base_url} cannot be read: {exc}"


def parse_lines_m(text: str) -> list[float]:
    """Sector lines typed as ``1800, 3900.5`` (metres from the start line).

    Raises:
        ValueError: a value that is not a number.
    """
    return [float(part) for part in text.replace(";", ",").split(",") if part.strip()]


def read_lap_outline(con: Connection, track: str, *, layout: str = "") -> pl.DataFrame:
    """The circuit's fastest counted telemetry lap as ``distance_m, x, z`` (metres from the
    line; world x and z), at most :data:`OUTLINE_POINTS` points: the map the sector lines are
    typed on. Empty when the lake has no telemetry lap of that circuit."""
    empty = pl.DataFrame(schema=OUTLINE_SCHEMA)
    if not track.strip() or not has_table(con, layer="clean", table="ac_telemetry"):
        return empty
    laps = read_telemetry_laps(con, track=track.strip(), layout=layout.strip() or None)
    fastest = laps.filter(pl.col("counted")).sort("lap_time_ms").head(1)
    if fastest.is_empty():
        return empty
    lap = fastest.row(0, named=True)
    outline = fetch_frame(
        con,
        """
        SELECT CAST(distance_m AS DOUBLE) AS distance_m, CAST(x AS DOUBLE) AS x,
               CAST(z AS DOUBLE) AS z
        FROM clean.ac_telemetry
        WHERE session_id = $session_id AND car_id = $car_id AND lap_number = $lap_number
          AND distance_m IS NOT NULL AND x IS NOT NULL AND z IS NOT NULL
        ORDER BY distance_m
        """,
        {k: lap[k] for k in ("session_id", "car_id", "lap_number")},
    )
    step = max(1, -(-outline.height // OUTLINE_POINTS))
    return outline.gather_every(step).cast(OUTLINE_SCHEMA)  # type: ignore[arg-type]


def sector_marks(outline: pl.DataFrame, lines_m: list[float]) -> pl.DataFrame:
    """Where each sector line (metres from the start line) falls on the ``outline``: ``label``
    ("S1 | S2" for the line between them), ``distance_m``, ``x``, ``z``. Lines beyond the lap
    have no point."""
    if outline.is_empty() or not lines_m:
        return pl.DataFrame(schema={"label": pl.String(), **OUTLINE_SCHEMA})
    ordered = sorted(float(v) for v in lines_m)
    lines = pl.DataFrame(
        {
            "label": [f"S{n} | S{n + 1}" for n in range(1, len(ordered) + 1)],
            "distance_m": ordered,
        }
    )
    length = float(outline.get_column("distance_m").max())  # type: ignore[arg-type]
    return (
        lines.filter(pl.col("distance_m").is_between(0, length))
        .join_asof(
            outline.rename({"distance_m": "_at"}).sort("_at"),
            left_on="distance_m",
            right_on="_at",
            strategy="nearest",
        )
        .drop("_at")
    )


def picked_distance(selections: Mapping[str, Any]) -> float | None:
    """The distance from the line of the point clicked on the sector map (its chart's
    ``selections``: ``{"spot": {"distance_m": [812.0], ...}}``), if one was."""
    spot = selections.get(SPOT_PICK)
    values = spot.get("distance_m") if isinstance(spot, Mapping) else None
    if not values:
        return None
    return float(values[0])


@dataclass(frozen=True)
class RefApiClient:
    """The ``/ref`` endpoints as the user (their bearer token)."""

    base_url: str
    token: str
    timeout_s: float = 30.0

    def _http(self) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=self.timeout_s)

    @staticmethod
    def _checked(response: httpx.Response) -> httpx.Response:
        if response.is_error:
            try:
                body = response.json()
                detail = str(body.get("detail") or body.get("title"))
                if body.get("errors"):
                    detail += ": " + "; ".join(str(e.get("msg")) for e in body["errors"])
            except ValueError:
                detail = response.text[:500]
            raise RefApiError(response.status_code, detail)
        return response

    def list_rows(self, entity: str) -> list[dict[str, Any]]:
        """Every live row of the entity (following the pages)."""
        rows: list[dict[str, Any]] = []
        params: dict[str, str | int] = {"limit": 1000}
        with self._http() as http:
            while True:
                page = self._checked(http.get(f"/ref/{entity}", params=params)).json()
                rows += page["items"]
                if not page["next_cursor"]:
                    return rows
                params["cursor"] = page["next_cursor"]

    def _upsert(
        self, entity: str, values: dict[str, Any], *, keys: tuple[str, ...]
    ) -> dict[str, Any]:
        """Create the row, or (it exists) change it to ``values`` with its current ETag."""
        key = quote(":".join(str(values[k]) for k in keys), safe=":")
        with self._http() as http:
            created = http.post(f"/ref/{entity}", json=values)
            if created.status_code != 409:
                return dict(self._checked(created).json())
            current = self._checked(http.get(f"/ref/{entity}/{key}"))
            row = current.json()
            patch = {k: v for k, v in values.items() if k not in keys and row.get(k) != v}
            if not patch:
                return dict(row)
            headers = {"If-Match": current.headers["etag"]}
            changed = http.patch(f"/ref/{entity}/{key}", json=patch, headers=headers)
            return dict(self._checked(changed).json())

    def attach_identity(
        self, *, kind: str, value: str, person_id: str, name: str | None = None
    ) -> dict[str, Any]:
        """Map the identity to the person (created first when ``name`` is given and the person
        does not exist yet)."""
        if name:
            with self._http() as http:
                person = http.post("/ref/people", json={"person_id": person_id, "name": name})
                if person.status_code != 409:
                    self._checked(person)
        identity = {"kind": kind, "value": value, "person_id": person_id}
        return self._upsert("identities", identity, keys=("kind", "value"))

    def set_sector_lines(
        self, *, track: str, layout: str, lines_m: list[float], length_m: float
    ) -> dict[str, Any]:
        """Create or replace the circuit layout's sector lines."""
        values = {"track": track, "layout": layout, "lines_m": lines_m, "length_m": length_m}
        return self._upsert("circuit_sectors", values, keys=("track", "layout"))
