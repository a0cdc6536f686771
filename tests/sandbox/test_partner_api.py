"""The sandbox partner API itself: OAuth2 grant, auth kinds, pagination styles, updated_since,
fault injection, partner-side updates, and the standalone command."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from sandbox.partner_api import Faults, SandboxCredentials, serve_partner_api
from sandbox.partner_api.faults import FaultInjector

CREDS = SandboxCredentials.random()


@pytest.fixture(scope="module")
def api() -> Iterator[str]:
    with serve_partner_api(0, credentials=CREDS, token_ttl_seconds=1.0) as url:
        yield url


def token(url: str, **kwargs: object) -> httpx.Response:
    return httpx.post(f"{url}/oauth/token", **kwargs)  # type: ignore[arg-type]


def test_client_credentials_grant(api: str) -> None:
    basic = token(
        api, data={"grant_type": "client_credentials"}, auth=(CREDS.client_id, CREDS.client_secret)
    )
    assert basic.status_code == 200
    body = basic.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 1.0
    post = token(
        api,
        data={
            "grant_type": "client_credentials",
            "client_id": CREDS.client_id,
            "client_secret": CREDS.client_secret,
        },
    )
    assert post.status_code == 200
    wrong = token(api, data={"grant_type": "client_credentials"}, auth=(CREDS.client_id, "nope"))
    assert wrong.status_code == 401 and wrong.json() == {"error": "invalid_client"}
    grant = token(api, data={"grant_type": "password"}, auth=(CREDS.client_id, CREDS.client_secret))
    assert grant.json() == {"error": "unsupported_grant_type"}


def test_tokens_are_short_lived(api: str) -> None:
    access = token(
        api, data={"grant_type": "client_credentials"}, auth=(CREDS.client_id, CREDS.client_secret)
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert httpx.get(f"{api}/v1/events", headers=headers).status_code == 200
    time.sleep(1.1)
    expired = httpx.get(f"{api}/v1/events", headers=headers)
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"headers": {"Authorization": f"Bearer {CREDS.bearer_token}"}},
        {"headers": {"X-API-Key": CREDS.api_key}},
        {"params": {"api_key": CREDS.api_key}},
        {"auth": (CREDS.username, CREDS.password)},
    ],
    ids=["bearer", "api_key_header", "api_key_query", "basic"],
)
def test_static_auth_kinds(api: str, kwargs: dict) -> None:
    assert httpx.get(f"{api}/v1/results", **kwargs).status_code == 200


def test_protected_and_public(api: str) -> None:
    assert httpx.get(f"{api}/v1/weather").status_code == 401
    assert httpx.get(f"{api}/v1/events", headers={"X-API-Key": "bad"}).status_code == 401
    assert httpx.get(f"{api}/public/v1/weather").status_code == 200
    assert httpx.get(f"{api}/public/v1/results").status_code == 404


def walk(api: str, style: str) -> list[str]:
    """Follow one pagination style by hand; the record ids in order."""
    auth = {"X-API-Key": CREDS.api_key}
    params: dict[str, object] = {"style": style}
    url: str | None = f"{api}/v1/entries"
    ids: list[str] = []
    for _ in range(100):
        if url is None:
            break
        response = httpx.get(url, params=params or None, headers=auth)  # {} drops the query
        body = response.json()
        if style == "page_number":
            ids += [r["entry_id"] for r in body["data"]]
            meta = body["meta"]
            params = {**params, "page": meta["page"] + 1}
            url = url if meta["page"] < meta["total_pages"] else None
        elif style == "offset":
            ids += [r["entry_id"] for r in body["items"]]
            nxt = body["paging"]["offset"] + body["paging"]["limit"]
            params = {**params, "offset": nxt}
            url = url if nxt < body["paging"]["total"] else None
        elif style == "cursor":
            ids += [r["entry_id"] for r in body["results"]]
            params = {**params, "cursor": body["next_cursor"]}
            url = url if body["next_cursor"] else None
        elif style == "link":
            ids += [r["entry_id"] for r in body]
            url, params = response.links.get("next", {}).get("url"), {}
        else:
            ids += [r["entry_id"] for r in body["records"]]
            url, params = body["links"]["next"], {}
    return ids


@pytest.mark.parametrize("style", ["page_number", "offset", "cursor", "link", "next_url"])
def test_every_style_pages_through_every_record(api: str, style: str) -> None:
    truth = [r["entry_id"] for r in httpx.get(f"{api}/admin/records/entries").json()]
    assert walk(api, style) == truth
    assert len(truth) == 1200


def test_updated_since_is_inclusive_and_ordered(api: str) -> None:
    records = httpx.get(f"{api}/admin/records/standings").json()
    since = records[10]["updated_at"]
    page = httpx.get(
        f"{api}/public/v1/standings",
        params={"updated_since": since, "limit": 1000},
    ).json()["records"]
    assert page == [r for r in records if r["updated_at"] >= since]
    assert records[9]["updated_at"] == since  # ties: several records share one instant
    stamps = [r["updated_at"] for r in records]
    assert stamps == sorted(stamps)


def test_data_is_seeded() -> None:
    from sandbox.partner_api import PartnerData

    assert PartnerData(seed=3).all_records("results") == PartnerData(seed=3).all_records("results")
    assert PartnerData(seed=3).all_records("results") != PartnerData(seed=4).all_records("results")
    dnf = [r for r in PartnerData(seed=3).all_records("results") if r["total_time_ms"] == "DNF"]
    assert len(dnf) == 13  # i % 97 == 13 for i < 1200


def test_touch_moves_records_to_the_end_with_new_content(api: str) -> None:
    before = httpx.get(f"{api}/admin/records/weather").json()
    touched = httpx.post(f"{api}/admin/touch/weather", params={"count": 3}).json()["updated"]
    after = httpx.get(f"{api}/admin/records/weather").json()
    assert len(after) == len(before)
    assert [r["observation_id"] for r in after[-3:]] == touched
    assert after[-1]["updated_at"] > before[-1]["updated_at"]
    assert after[-1]["air_temp_c"] == before[2]["air_temp_c"] + 0.5


def test_faults_switch_per_test_and_are_bounded() -> None:
    with serve_partner_api(0, credentials=CREDS) as url:
        faults = Faults(rate_limit=0.3, server_error=0.3, malformed=0.3, seed=9, max_consecutive=2)
        httpx.put(f"{url}/admin/faults", json=faults.model_dump()).raise_for_status()
        statuses = []
        for _ in range(3):  # the same URL never fails more than twice in a row
            statuses.append(httpx.get(f"{url}/public/v1/weather").status_code)
        assert httpx.get(f"{url}/admin/faults").json()["rate_limit"] == 0.3
        responses = [
            httpx.get(f"{url}/public/v1/weather", params={"page": i}) for i in range(1, 40)
        ]
        codes = {r.status_code for r in responses}
        assert {200, 429, 500} <= codes
        assert all(r.headers["Retry-After"] for r in responses if r.status_code == 429)
        malformed = [r for r in responses if r.status_code == 200 and not _is_page(r)]
        assert malformed
        httpx.put(f"{url}/admin/faults", json={}).raise_for_status()
        assert all(httpx.get(f"{url}/public/v1/weather").status_code == 200 for _ in range(10))
    assert 200 in statuses


def _is_page(response: httpx.Response) -> bool:
    try:
        return isinstance(response.json(), list)
    except ValueError:
        return False


def test_fault_draws_are_seeded() -> None:
    def draws(seed: int) -> list[str | None]:
        injector = FaultInjector(Faults(server_error=0.4, rate_limit=0.4, seed=seed))
        return [injector.draw(f"/u{i % 5}", oauth=False) for i in range(50)]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)


def test_slow_responses() -> None:
    faults = Faults(slow=0.5, slow_seconds=0.3, seed=0)
    with serve_partner_api(0, faults=faults) as url, pytest.raises(httpx.ReadTimeout):
        for page in range(1, 20):
            httpx.get(f"{url}/public/v1/weather", params={"page": page}, timeout=0.1)


def test_runs_in_a_child_process_and_standalone() -> None:
    with serve_partner_api(0, isolation="process") as url:
        assert httpx.get(f"{url}/public/v1/standings").status_code == 200
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox.partner_api", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first.startswith("sandbox partner API on http://127.0.0.1:")
        url = first.rsplit(" ", 1)[1].strip()
        exports = [process.stdout.readline() for _ in range(7)]
        assert f"export PITWALL_PARTNER_API_URL={url}\n" in exports
        for _ in range(200):
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
    finally:
        process.terminate()
        process.wait(timeout=10)
