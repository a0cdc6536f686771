"""CSV import and export of reference entities: validated like single writes, all or nothing."""

from __future__ import annotations

import polars as pl

from pitwall.refdata import ENTITIES, read_ref, read_ref_history
from tests.api.ref_server import RefApi, ref_api

__all__ = ["ref_api"]
CSV = {"Content-Type": "text/csv"}
GOOD = """track,layout,lines_m,length_m
monza,,"[1800.5, 3900]",5793
spa,gp,"[2300, 4700]",7004
"""


def test_import_is_all_or_nothing(ref_api: RefApi) -> None:
    bad = GOOD + 'imola,,"[3000, 1000]",4909\nmonza,,"[10]",5793\n'
    with ref_api.client("editor") as http:
        refused = http.post("/ref/circuit_sectors.csv", content=bad, headers=CSV)
        assert refused.status_code == 422
        lines = sorted({e["line"] for e in refused.json()["errors"]})
        assert lines == [4, 5]  # decreasing lines; monza twice
        assert read_ref(ENTITIES["circuit_sectors"], lake=ref_api.lake).is_empty()
        unknown = http.post(
            "/ref/circuit_sectors.csv", content="track,colour\nx,red\n", headers=CSV
        )
        assert unknown.status_code == 422
        imported = http.post("/ref/circuit_sectors.csv", content=GOOD, headers=CSV)
        assert imported.status_code == 200, imported.text
        assert imported.json() == {"created": 2, "updated": 0, "unchanged": 0}
        again = http.post("/ref/circuit_sectors.csv", content=GOOD, headers=CSV)
        assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
        changed = GOOD.replace("[2300, 4700]", "[2300, 4800]")
        assert http.post("/ref/circuit_sectors.csv", content=changed, headers=CSV).json() == {
            "created": 0,
            "updated": 1,
            "unchanged": 1,
        }
    with ref_api.client("reader") as http:
        spa = http.get("/ref/circuit_sectors/spa:gp")
        assert spa.json()["lines_m"] == [2300, 4800] and spa.headers["etag"] == '"2"'
        exported = http.get("/ref/circuit_sectors.csv")
        assert http.post("/ref/circuit_sectors.csv", content=GOOD, headers=CSV).status_code == 403
    assert exported.headers["content-type"].startswith("text/csv")
    frame = pl.read_csv(exported.content.decode().encode())
    assert frame.get_column("track").to_list() == ["monza", "spa"]
    assert frame.get_column("version").to_list() == [1, 2]
    history = read_ref_history("circuit_sectors", "spa:gp", lake=ref_api.lake)
    assert history.get_column("op").to_list() == ["create", "update"]


def test_export_round_trips(ref_api: RefApi) -> None:
    with ref_api.client("editor") as http:
        body = {"person_id": "rt", "name": 'Round, Trip "Q"', "country": None}
        assert http.post("/ref/people", json=body).status_code == 201
        exported = http.get("/ref/people.csv").content
        back = http.post("/ref/people.csv", content=exported, headers=CSV)
    assert back.status_code == 200 and back.json()["created"] == 0 and back.json()["updated"] == 0
