"""The season and circuit endpoints over HTTP, on the hand-built season lake."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from pydantic import TypeAdapter

from api.routers.circuits import SectorPublic
from api.routers.season import (
    HeadToHeadPublic,
    SeasonCircuitPublic,
    SeasonDriverPublic,
    SeasonSessionPublic,
)
from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.lake.layout import get_lake
from pitwall.settings import get_settings
from tests.api.conftest import Mint
from tests.queries import season_lake


@pytest.fixture(scope="module")
def season_client(
    tmp_path_factory: pytest.TempPathFactory, issuer_url: str, mint: Mint
) -> Iterator[httpx.Client]:
    home = tmp_path_factory.mktemp("season-api-home")
    (home / "conf" / "base").mkdir(parents=True)
    (home / "conf" / "base" / "circuits.yml").write_text(season_lake.CONF)
    lake = get_lake(str(tmp_path_factory.mktemp("season-api-lake")))
    season_lake.write_season_lake(lake)
    settings = ApiSettings(
        oidc_issuer=issuer_url, lake_uri=lake.root, home=home, catalog_refresh_s=0
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PITWALL_HOME", str(home))  # where the queries read circuits.yml
        get_settings.cache_clear()
        with serve_api(settings=settings) as url:
            headers = {"Authorization": f"Bearer {mint()}"}
            with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
                yield http
    get_settings.cache_clear()


def _get(client: httpx.Client, path: str, model: type, **params: object) -> list:
    response = client.get(path, params=params)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return TypeAdapter(list[model]).validate_json(response.content)


def test_season_drivers_circuits_and_sessions(season_client: httpx.Client) -> None:
    circuits = _get(season_client, "/season/circuits", SeasonCircuitPublic)
    assert {(c.track, c.car_model) for c in circuits} >= {("testring", "m1"), ("testring", "m2")}
    drivers = _get(
        season_client, "/season/drivers", SeasonDriverPublic, track="testring", layout=""
    )
    assert [(d.driver_key, d.best_lap_ms) for d in drivers] == [
        ("g-a", 89_000),
        ("g-b", 90_800),
        ("g-c", 91_000),
    ]
    assert drivers[0].theoretical_best_ms == pytest.approx(season_lake.THEORETICAL_ALICE)
    assert drivers[1].cuts_per_100km == pytest.approx(season_lake.CUTS_PER_100KM["g-b"])
    only_m2 = _get(
        season_client, "/season/drivers", SeasonDriverPublic, track="testring", car_model="m2"
    )
    assert [d.driver_name for d in only_m2] == ["Cleo"]
    sessions = _get(
        season_client, "/season/sessions", SeasonSessionPublic, track="testring", driver="g-b"
    )
    assert [(s.session_id, s.best_ms) for s in sessions] == [("s1", 91_500), ("s2", 90_800)]


def test_head_to_head_and_sectors(season_client: httpx.Client) -> None:
    duel = _get(
        season_client,
        "/season/head-to-head",
        HeadToHeadPublic,
        track="testring",
        driver="g-b",
        rival="g-a",
    )
    assert [(d.session_id, d.gap_ms) for d in duel] == [("s1", 1_500), ("s2", 1_800)]
    sectors = _get(season_client, "/circuits/testring/sectors", SectorPublic)
    assert [(s.sector, s.end_pos) for s in sectors] == [(1, 0.25), (2, 0.5), (3, 1.0)]
    missing = season_client.get("/season/head-to-head", params={"track": "testring"})
    assert missing.status_code == 422


def test_season_needs_a_token(season_client: httpx.Client) -> None:
    bare = httpx.get(f"{season_client.base_url}/season/circuits", timeout=30)
    assert bare.status_code == 401
