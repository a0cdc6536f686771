"""Every /ref operation of every entity with each role: no token 401, a role without access 403,
``reader`` reads and may not write, ``editor`` and ``admin`` get past the role check to the
operation's own answer (200 for a list or an export, 404 for a key that is not there, 422 for
a body that is not valid)."""

from __future__ import annotations

import httpx
import pytest

from pitwall.refdata import ENTITIES
from tests.api.ref_server import RefApi, ref_api
from tests.api.test_ref_openapi import CASES

__all__ = ["ref_api"]

MISSING = "nobody"  # no entity has a row with this key (one part of a key of two is a miss too)
CSV = {"Content-Type": "text/csv"}


def _send(http: httpx.Client, operation: str, entity: str) -> httpx.Response:
    """One operation on ``entity``, with a request that can pass no check but the role's."""
    match operation:
        case "list":
            return http.get(f"/ref/{entity}")
        case "export":
            return http.get(f"/ref/{entity}.csv")
        case "get":
            return http.get(f"/ref/{entity}/{MISSING}")
        case "history":
            return http.get(f"/ref/{entity}/{MISSING}/history")
        case "create":
            return http.post(f"/ref/{entity}", json={})
        case "import":
            return http.post(f"/ref/{entity}.csv", content="nope\n1\n", headers=CSV)
        case "update":
            return http.patch(f"/ref/{entity}/{MISSING}", json={}, headers={"If-Match": '"1"'})
        case "delete":
            return http.delete(f"/ref/{entity}/{MISSING}", headers={"If-Match": '"1"'})
    raise AssertionError(operation)


READS = {"list": 200, "export": 200, "get": 404, "history": 404}
WRITES = {"create": 422, "import": 422, "update": 404, "delete": 404}


def test_every_operation_of_every_entity_is_in_the_matrix() -> None:
    assert len({(method, path) for method, path, _ in CASES}) == len(ENTITIES) * (
        len(READS) + len(WRITES)
    )


@pytest.mark.parametrize("entity", sorted(ENTITIES))
def test_each_role_on_every_operation(ref_api: RefApi, entity: str) -> None:
    expected: dict[tuple[str, ...], dict[str, int]] = {
        (): dict.fromkeys([*READS, *WRITES], 401),
        ("ingest",): dict.fromkeys([*READS, *WRITES], 403),
        ("reader",): READS | dict.fromkeys(WRITES, 403),
        ("editor",): READS | WRITES,
        ("admin",): READS | WRITES,
    }
    for roles, statuses in expected.items():
        with ref_api.client(*roles) as http:
            got = {operation: _send(http, operation, entity) for operation in statuses}
        assert {op: answer.status_code for op, answer in got.items()} == statuses, roles
        for operation, answer in got.items():
            if answer.status_code >= 400:
                kind = answer.headers["content-type"]
                assert kind == "application/problem+json", (roles, operation, kind)
