"""Reference data written through /ref shows in the read API's views: the session leaderboard
and the lap records resolve in-game names to the person and their team of the day, and a
penalty re-classifies the session (the season lake of tests/queries/season_lake.py). The views
read the lake's catalog, which the API re-reads every ``catalog_refresh_s`` (30 s by default;
never in these tests) or on ``POST /admin/catalog/refresh``."""

from __future__ import annotations

import pytest

from tests.api.ref_server import RefApi, ref_api
from tests.queries import season_lake

__all__ = ["ref_api"]


def _refresh(api: RefApi) -> None:
    with api.client("admin") as http:
        http.post("/admin/catalog/refresh").raise_for_status()


@pytest.fixture(scope="module")
def season_api(ref_api: RefApi) -> RefApi:
    season_lake.write_season_lake(ref_api.lake)
    _refresh(ref_api)
    return ref_api


def _standing(api: RefApi, session: str) -> list[tuple[object, ...]]:
    with api.client("reader") as http:
        rows = http.get(f"/sessions/{session}/leaderboard").raise_for_status().json()
    return [(r["position"], r["driver_name"], r["team_id"], r["status"]) for r in rows]


def test_people_teams_and_penalties_written_through_ref_show_in_the_leaderboards(
    season_api: RefApi,
) -> None:
    assert _standing(season_api, "s2") == [
        (1, "Alice", None, "classified"),
        (2, "Bob", None, "classified"),
        (3, "Cleo", None, "classified"),
    ]
    writes = [
        ("people", {"person_id": "bob", "name": "Robert Bianchi"}),
        ("identities", {"kind": "ingame_name", "value": "Bob", "person_id": "bob"}),
        ("identities", {"kind": "ingame_name", "value": "Cleo", "person_id": "bob"}),
        ("teams", {"team_id": "scuderia", "name": "Scuderia"}),
        ("memberships", {"team_id": "scuderia", "person_id": "bob", "valid_from": "2025-03-02"}),
        (
            "penalties",
            {
                "penalty_id": "p1",
                "session_id": "s2",
                "driver": "Alice",
                "kind": "time",
                "seconds": 2.5,
                "reason": "causing a collision",
            },
        ),
    ]
    with season_api.client("editor") as http:
        for entity, body in writes:
            assert http.post(f"/ref/{entity}", json=body).status_code == 201, (entity, body)
    _refresh(season_api)
    # Alice 89.0 s + 2.5 s falls behind both of Bob's cars (90.8 s and 91.0 s)
    assert _standing(season_api, "s2") == [
        (1, "Robert Bianchi", "scuderia", "classified"),
        (2, "Robert Bianchi", "scuderia", "classified"),
        (3, "Alice", None, "classified"),
    ]
    assert _standing(season_api, "s1")[1][1:3] == ("Robert Bianchi", None)  # not yet in a team
    with season_api.client("reader") as http:
        records = http.get("/leaderboard", params={"track": "testring"}).json()
    bobs = [(r["person_id"], r["team_id"]) for r in records if r["driver_name"] != "Alice"]
    assert bobs == [("bob", "scuderia")]  # one record for the person, not one per name
