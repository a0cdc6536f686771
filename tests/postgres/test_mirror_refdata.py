"""The reference tables reach PostgreSQL like the other CLEAN tables: keyed, tombstones and
versions included, and the reader role sees them."""

from __future__ import annotations

import psycopg

from pitwall.lake.layout import Lake
from pitwall.postgres.mirror import mirror_lake
from pitwall.postgres.options import read_mirror_options
from pitwall.refdata import ENTITIES, Actor, write_ref
from tests.postgres.fixtures import PgDatabase

ED = Actor("sub-ed", "ed")


def test_conf_keys_are_the_entities_natural_keys() -> None:
    keys = read_mirror_options().keys
    for entity in ENTITIES.values():
        assert keys[entity.table] == list(entity.keys), entity.name


def test_reference_tables_are_mirrored(pg: PgDatabase, lake: Lake) -> None:
    people, sectors = ENTITIES["people"], ENTITIES["circuit_sectors"]
    for person in ("ann", "bob"):
        values = {"person_id": person, "name": person.title(), "country": None}
        write_ref(people, {"person_id": person}, op="create", values=values, actor=ED, lake=lake)
    key = {"track": "monza", "layout": ""}
    write_ref(
        sectors, key, op="create", values=key | {"lines_m": [1800.0, 3900.5]}, actor=ED, lake=lake
    )
    options = read_mirror_options()
    mirror_lake(lake, options=options, dsn=pg.loader)
    write_ref(
        people, {"person_id": "bob"}, op="delete", values={}, actor=ED, lake=lake, if_version=1
    )
    write_ref(
        people,
        {"person_id": "ann"},
        op="update",
        values={"name": "Ann B."},
        actor=ED,
        lake=lake,
        if_version=1,
    )
    mirror_lake(lake, options=options, dsn=pg.loader)
    with psycopg.connect(pg.reader) as conn:
        rows = conn.execute(
            "SELECT person_id, name, version, deleted, updated_by FROM clean.ref_people ORDER BY 1"
        ).fetchall()
        lines = conn.execute("SELECT lines_m FROM clean.ref_circuit_sectors").fetchall()
        primary = conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'clean.ref_people'::regclass"
            " AND i.indisprimary"
        ).fetchall()
    assert rows == [("ann", "Ann B.", 2, False, "ed"), ("bob", "Bob", 2, True, "ed")]
    assert lines == [([1800.0, 3900.5],)]
    assert primary == [("person_id",)]
