"""The read API on loopback over a lake of its own, for the reference data tests (they write)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from api.serve import serve_api
from api.settings import ApiSettings
from pitwall.lake.layout import Lake, get_lake
from tests.api.conftest import Mint


@dataclass(frozen=True)
class RefApi:
    url: str
    lake: Lake
    mint: Mint

    def client(self, *roles: str, user: str = "ed") -> httpx.Client:
        """A client whose token holds ``roles`` (none: no token at all)."""
        headers = {}
        if roles:
            token = self.mint(list(roles), sub=f"sub-{user}", preferred_username=user)
            headers["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@pytest.fixture(scope="module")
def ref_api(
    tmp_path_factory: pytest.TempPathFactory, settings: ApiSettings, mint: Mint
) -> Iterator[RefApi]:
    lake = get_lake(str(tmp_path_factory.mktemp("ref-lake")))
    own = settings.model_copy(update={"lake_uri": lake.root})
    with serve_api(settings=own) as url:
        yield RefApi(url, lake, mint)
