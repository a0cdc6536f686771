"""Reference writes next to other writers of the same table, and the audit trail after VACUUM."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import polars as pl
import pytest
from deltalake import DeltaTable

from pitwall.lake.commit import CleanChunk, commit_clean
from pitwall.refdata import (
    CHANGES_TABLE,
    ENTITIES,
    Actor,
    read_ref,
    read_ref_history,
    store,
    write_ref,
)
from pitwall.refdata.audit import RefChange, write_ref_changes
from tests.api.ref_server import RefApi, ref_api

__all__ = ["ref_api"]
INGESTS = 6
PATCHES = 6


def _ingested(n: int) -> pl.DataFrame:
    """People landed by a pipeline (not through the API) as the landing contract merges them."""
    row = {
        "person_id": f"ingested-{n}",
        "name": f"Driver {n}",
        "country": None,
        "version": 1,
        "deleted": False,
        "updated_at": datetime.now(UTC),
        "updated_by": "pipeline",
    }
    return pl.DataFrame([row], schema=ENTITIES["people"].schema)


def test_patch_during_an_ingest_of_the_same_table(ref_api: RefApi) -> None:
    with ref_api.client("editor") as http:
        assert (
            http.post("/ref/people", json={"person_id": "carla", "name": "C 0"}).status_code == 201
        )
    start = threading.Barrier(2)

    def ingest() -> None:
        start.wait()
        for n in range(INGESTS):
            chunk = CleanChunk(
                "ref_people", _ingested(n), ("person_id",), quarantine_table="", pipeline="test"
            )
            commit_clean(chunk, lake=ref_api.lake)

    pipeline = threading.Thread(target=ingest)
    pipeline.start()
    statuses = []
    with ref_api.client("editor") as http:
        start.wait()
        for n in range(PATCHES):
            answer = http.patch(
                "/ref/people/carla", json={"name": f"C {n + 1}"}, headers={"If-Match": f'"{n + 1}"'}
            )
            statuses.append(answer.status_code)
    pipeline.join()
    assert statuses == [200] * PATCHES
    people = read_ref(ENTITIES["people"], lake=ref_api.lake)
    carla = people.filter(pl.col("person_id") == "carla").row(0, named=True)
    assert (carla["name"], carla["version"]) == (f"C {PATCHES}", PATCHES + 1)
    ingested = people.filter(pl.col("person_id").str.starts_with("ingested-"))
    assert ingested.height == INGESTS


def test_history_after_compaction_and_vacuum(ref_api: RefApi) -> None:
    with ref_api.client("editor") as http:
        assert http.post("/ref/teams", json={"team_id": "vac", "name": "V0"}).status_code == 201
        for n in range(3):
            headers = {"If-Match": f'"{n + 1}"'}
            assert http.patch(
                "/ref/teams/vac", json={"name": f"V{n + 1}"}, headers=headers
            ).is_success
    for uri in (
        ref_api.lake.table_uri("raw", CHANGES_TABLE),
        ref_api.lake.table_uri("clean", "ref_teams"),
    ):
        delta = DeltaTable(uri)
        delta.optimize.compact()
        # the default retention (7 days) keeps everything this young; retention 0 is the worst
        assert delta.vacuum(dry_run=False) == []
        delta.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    with ref_api.client("reader") as http:
        history = http.get("/ref/teams/vac/history").json()
        team = http.get("/ref/teams/vac").json()
    assert [c["after"]["name"] for c in history] == ["V0", "V1", "V2", "V3"]
    assert team["version"] == 4


def test_an_audit_row_lost_to_a_crash_is_recovered(
    ref_api: RefApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = ENTITIES["people"]
    ed = Actor("sub-ed", "ed")
    key = {"person_id": "crash"}
    write_ref(people, key, op="create", values={"name": "C"}, actor=ed, lake=ref_api.lake)

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process dies between the CLEAN commit and the audit

    with monkeypatch.context() as patch:
        patch.setattr(store, "write_ref_changes", killed)
        with pytest.raises(KeyboardInterrupt):
            write_ref(
                people, key, op="update", values={"name": "C2"}, actor=ed, lake=ref_api.lake,
                if_version=1,
            )  # fmt: skip
    assert read_ref_history("people", "crash", lake=ref_api.lake).height == 1
    write_ref(people, key, op="delete", values={}, actor=ed, lake=ref_api.lake, if_version=2)
    with ref_api.client("reader") as http:
        history = http.get("/ref/people/crash/history").json()
    assert [(c["op"], c["version"], c["sub"]) for c in history] == [
        ("create", 1, "sub-ed"),
        ("update", 2, None),  # recovered from the row: who (updated_by) and when, not the sub
        ("delete", 3, "sub-ed"),
    ]
    assert history[1]["username"] == "ed" and history[1]["after"]["name"] == "C2"
    # a recovery racing the writer's own append: the version is recorded twice, shown once
    row = read_ref(people, lake=ref_api.lake, include_deleted=True).filter(
        pl.col("person_id") == "crash"
    )
    twice = RefChange.of("people", "crash", op="delete", before=None, after=row.row(0, named=True))
    write_ref_changes([twice], actor=None, at=None, delta_version=None, lake=ref_api.lake)
    shown = read_ref_history("people", "crash", lake=ref_api.lake)
    assert shown.select("version", "sub").rows() == [(1, "sub-ed"), (2, None), (3, "sub-ed")]
