"""Reference data CRUD over HTTP: roles, ETags, conflicts, validation, tombstones, audit."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import httpx
import pytest

from pitwall.refdata import read_ref_history
from tests.api.ref_server import RefApi, ref_api

__all__ = ["ref_api"]

PERSON = {"person_id": "alice", "name": "Alice Ascari", "country": "IT"}


def _create(api: RefApi, entity: str, body: Mapping[str, object]) -> httpx.Response:
    with api.client("editor") as http:
        return http.post(f"/ref/{entity}", json=body)


def test_roles(ref_api: RefApi) -> None:
    body = {"person_id": "roles", "name": "Role Model"}
    with ref_api.client() as anonymous:
        assert anonymous.get("/ref/people").status_code == 401
        assert anonymous.post("/ref/people", json=body).status_code == 401
    with ref_api.client("ingest") as ingest:
        assert ingest.get("/ref/people").status_code == 403
    with ref_api.client("reader") as reader:
        assert reader.get("/ref/people").status_code == 200
        refused = reader.post("/ref/people", json=body)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
    with ref_api.client("editor") as editor:
        assert editor.get("/ref/people").status_code == 200  # an editor reads too
        created = editor.post("/ref/people", json=body)
        assert created.status_code == 201
    with ref_api.client("admin") as admin:
        etag = admin.get("/ref/people/roles").headers["etag"]
        gone = admin.delete("/ref/people/roles", headers={"If-Match": etag})
        assert gone.status_code == 204
    with ref_api.client("reader") as reader:
        assert reader.delete("/ref/people/roles", headers={"If-Match": '"2"'}).status_code == 403
        assert reader.get("/ref/people/roles").status_code == 404


def test_lifecycle(ref_api: RefApi) -> None:
    created = _create(ref_api, "people", PERSON)
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"].endswith("/ref/people/alice")
    assert created.json()["updated_by"] == "ed"
    assert _create(ref_api, "people", PERSON).status_code == 409
    with ref_api.client("reader", "editor") as http:
        got = http.get("/ref/people/alice")
        assert got.status_code == 200 and got.json()["name"] == "Alice Ascari"
        assert http.get("/ref/people/nobody").status_code == 404
        patch = {"name": "Alice A."}
        assert http.patch("/ref/people/alice", json=patch).status_code == 428
        assert (
            http.patch("/ref/people/alice", json=patch, headers={"If-Match": '"7"'}).status_code
            == 412
        )
        invalid = http.patch("/ref/people/alice", json={"name": ""}, headers={"If-Match": '"1"'})
        assert invalid.status_code == 422
        assert invalid.headers["content-type"] == "application/problem+json"
        assert invalid.json()["errors"]
        nulled = http.patch("/ref/people/alice", json={"name": None}, headers={"If-Match": '"1"'})
        assert nulled.status_code == 422  # a required field cannot be removed
        changed = http.patch("/ref/people/alice", json=patch, headers={"If-Match": '"1"'})
        assert changed.status_code == 200
        assert changed.headers["etag"] == '"2"' and changed.json()["name"] == "Alice A."
        assert http.delete("/ref/people/alice").status_code == 428
        assert http.delete("/ref/people/alice", headers={"If-Match": '"1"'}).status_code == 412
        assert http.delete("/ref/people/alice", headers={"If-Match": '"2"'}).status_code == 204
        assert http.get("/ref/people/alice").status_code == 404
        assert http.delete("/ref/people/alice", headers={"If-Match": '"3"'}).status_code == 404
        live = http.get("/ref/people").json()["items"]
        assert "alice" not in [p["person_id"] for p in live]
        tombs = http.get("/ref/people", params={"include_deleted": "true"}).json()["items"]
        assert [p["version"] for p in tombs if p["person_id"] == "alice"] == [3]
        again = http.post("/ref/people", json=PERSON)  # the key may be used again
        assert again.status_code == 201 and again.headers["etag"] == '"4"'
        history = http.get("/ref/people/alice/history").json()
    assert [(c["op"], c["version"]) for c in history] == [
        ("create", 1),
        ("update", 2),
        ("delete", 3),
        ("create", 4),
    ]
    assert history[1]["before"]["name"] == "Alice Ascari"
    assert history[1]["after"]["name"] == "Alice A."
    assert {(c["sub"], c["username"]) for c in history} == {("sub-ed", "ed")}
    # one audit row per change, none for the refused ones
    assert read_ref_history("people", "alice", lake=ref_api.lake).height == 4


def test_validation_and_keys(ref_api: RefApi) -> None:
    bad: list[tuple[str, dict[str, object]]] = [
        ("people", {"person_id": "Not A Slug", "name": "x"}),
        ("people", {"person_id": "x", "name": "x", "extra": 1}),
        (
            "penalties",
            {"penalty_id": "p", "session_id": "s", "driver": "d", "kind": "time", "reason": "r"},
        ),
        ("circuit_sectors", {"track": "monza", "lines_m": [2000, 1000]}),
        (
            "memberships",
            {
                "team_id": "t",
                "person_id": "p",
                "valid_from": "2026-05-01",
                "valid_to": "2026-01-01",
            },
        ),
        (
            "events",
            {
                "event_id": "e",
                "season": "s",
                "round": 1,
                "name": "n",
                "track": "t",
                "race_at": "2026-05-01T14:00:00",
            },
        ),
    ]
    for entity, body in bad:
        refused = _create(ref_api, entity, body)
        assert refused.status_code == 422, (entity, refused.text)
        assert refused.json()["errors"], entity
    identity = {"kind": "ingame_name", "value": "Ali:ce", "person_id": "alice"}
    assert _create(ref_api, "identities", identity).status_code == 201
    with ref_api.client("reader") as http:
        got = http.get("/ref/identities/ingame_name:Ali:ce")
        assert got.status_code == 200 and got.json()["value"] == "Ali:ce"
        assert http.get("/ref/identities/alice").status_code == 404  # one part of two
        assert http.get("/ref/memberships/t:p:not-a-date").status_code == 404


def test_concurrent_patches_with_one_etag(ref_api: RefApi) -> None:
    assert _create(ref_api, "teams", {"team_id": "ferrari", "name": "Ferrari"}).status_code == 201
    statuses: list[int] = []
    start = threading.Barrier(4)

    def patch(n: int) -> None:
        with ref_api.client("editor", user=f"ed{n}") as http:
            start.wait()
            answer = http.patch(
                "/ref/teams/ferrari", json={"name": f"Scuderia {n}"}, headers={"If-Match": '"1"'}
            )
            statuses.append(answer.status_code)

    threads = [threading.Thread(target=patch, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 412, 412, 412]
    with ref_api.client("reader") as http:
        team = http.get("/ref/teams/ferrari")
        history = http.get("/ref/teams/ferrari/history").json()
    assert team.headers["etag"] == '"2"'
    assert [c["op"] for c in history] == ["create", "update"]
    assert history[1]["after"]["name"] == team.json()["name"]


def test_list_filters_and_keyset_pages(ref_api: RefApi) -> None:
    for n in range(5):
        body = {
            "event_id": f"r{n}",
            "season": "s1",
            "round": n + 1,
            "name": f"Round {n + 1}",
            "track": "monza",
        }
        assert _create(ref_api, "events", body).status_code == 201
    with ref_api.client("reader") as http:
        seen, cursor = [], None
        while True:
            params: dict[str, str | int] = {"limit": 2, "filter": "round:gt:1"}
            if cursor:
                params["cursor"] = cursor
            page = http.get("/ref/events", params=params).json()
            seen += [e["event_id"] for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["r1", "r2", "r3", "r4"]
        desc = http.get("/ref/events", params={"sort": "-round", "limit": 1}).json()
        assert desc["items"][0]["event_id"] == "r4"
        assert http.get("/ref/events", params={"filter": "nope:eq:1"}).status_code == 422


@pytest.mark.parametrize("entity", ["people", "penalties"])
def test_history_of_unknown_key(ref_api: RefApi, entity: str) -> None:
    with ref_api.client("reader") as http:
        assert http.get(f"/ref/{entity}/never/history").status_code == 404
