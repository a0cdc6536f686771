"""Every paginator kind walks every record exactly once, in order, incl. the incremental bound."""

from __future__ import annotations

import pytest

from pitwall.rest import RestClient, RestSourceError
from tests.rest.helpers import PAGINATORS, endpoint, source, truth


@pytest.mark.parametrize("style", list(PAGINATORS))
@pytest.mark.parametrize("resource", ["events", "standings"])
def test_paginator_reads_every_record_once(partner_api: str, style: str, resource: str) -> None:
    spec = source(partner_api, endpoints={"ep": endpoint(resource, style=style)})
    with RestClient("partner", spec) as client:
        pages = list(client.iter_pages("ep"))
    key = {"events": "event_id", "standings": "standing_id"}[resource]
    expected = [r[key] for r in truth(partner_api, resource)]
    assert [r[key] for p in pages for r in p.records] == expected
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert len(pages) >= len(expected) // 13  # really paginated


@pytest.mark.parametrize("style", list(PAGINATORS))
def test_incremental_cursor_is_sent_and_inclusive(partner_api: str, style: str) -> None:
    records = truth(partner_api, "events")
    since = records[30]["updated_at"]
    spec = source(partner_api, endpoints={"ep": endpoint("events", style=style)})
    with RestClient("partner", spec) as client:
        pages = list(client.iter_pages("ep", since=since))
    got = [r for p in pages for r in p.records]
    assert got == [r for r in records if r["updated_at"] >= since]
    assert all("updated_since=" in p.url for p in pages)


def test_page_number_without_total_stops_on_short_page(partner_api: str) -> None:
    ep = endpoint("events", style="page_number")
    ep["paginator"] = {"kind": "page_number", "page_size": 10}  # 60 records: last page empty
    spec = source(partner_api, endpoints={"ep": ep})
    with RestClient("partner", spec) as client:
        pages = list(client.iter_pages("ep"))
    assert sum(len(p.records) for p in pages) == 60
    assert len(pages) == 7


def test_initial_cursor_value_from_conf(partner_api: str) -> None:
    records = truth(partner_api, "events")
    ep = endpoint("events")
    ep["cursor"]["initial"] = records[-1]["updated_at"]
    spec = source(partner_api, endpoints={"ep": ep})
    with RestClient("partner", spec) as client:
        got = [r for p in client.iter_pages("ep") for r in p.records]
    assert got == [r for r in records if r["updated_at"] >= records[-1]["updated_at"]]


def test_unknown_endpoint_is_named(partner_api: str) -> None:
    spec = source(partner_api, endpoints={"ep": endpoint("events")})
    with RestClient("partner", spec) as client, pytest.raises(RestSourceError, match="nope"):
        list(client.iter_pages("nope"))
