"""Every auth kind against the sandbox: complete data with the right credentials, a clear
error (without the secret) with wrong ones."""

from __future__ import annotations

import pytest

from pitwall.rest import AuthenticationError, MissingSecretError, RestClient
from pitwall.rest.spec import SecretRef
from sandbox.partner_api import SandboxCredentials
from tests.rest.helpers import endpoint, source, stats, truth

AUTH_KINDS = ["bearer", "api_key_header", "api_key_query", "basic", "oauth2"]


@pytest.mark.parametrize("auth", AUTH_KINDS)
def test_auth_kind_reads_every_record(partner_api: str, auth: str) -> None:
    before = stats(partner_api)["auth_kinds"].get(auth, 0)
    spec = source(partner_api, auth=auth, endpoints={"events": endpoint("events")})
    with RestClient("partner", spec) as client:
        ids = [r["event_id"] for p in client.iter_pages("events") for r in p.records]
    assert ids == [r["event_id"] for r in truth(partner_api, "events")]
    assert stats(partner_api)["auth_kinds"].get(auth, 0) > before


def test_no_auth_on_public_endpoint(partner_api: str) -> None:
    spec = source(
        partner_api, auth="none", endpoints={"wx": endpoint("weather", public=True, style="link")}
    )
    with RestClient("weather", spec) as client:
        ids = [r["observation_id"] for p in client.iter_pages("wx") for r in p.records]
    assert ids == [r["observation_id"] for r in truth(partner_api, "weather")]


def test_no_auth_on_protected_endpoint_is_a_clear_error(partner_api: str) -> None:
    spec = source(partner_api, auth="none", endpoints={"events": endpoint("events")})
    with RestClient("partner", spec) as client, pytest.raises(AuthenticationError) as err:
        list(client.iter_pages("events"))
    assert "partner.events" in str(err.value) and "401" in str(err.value)


@pytest.mark.parametrize("auth", AUTH_KINDS)
def test_wrong_secret_fails_without_showing_it(
    partner_api: str, auth: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-secret-value-123456"
    for name in ("TOKEN", "KEY", "PASSWORD", "CLIENT_SECRET"):
        monkeypatch.setenv(f"PITWALL_PARTNER_API_{name}", wrong)
    spec = source(partner_api, auth=auth, endpoints={"events": endpoint("events")})
    with RestClient("partner", spec) as client, pytest.raises(AuthenticationError) as err:
        list(client.iter_pages("events"))
    assert "partner.events" in str(err.value)
    assert wrong not in str(err.value)


def test_oauth2_client_secret_post(partner_api: str) -> None:
    spec = source(partner_api, auth="oauth2", endpoints={"events": endpoint("events")})
    auth = spec.auth.model_copy(update={"auth_method": "client_secret_post"})
    spec = spec.model_copy(update={"auth": auth})
    with RestClient("partner", spec) as client:
        assert sum(len(p.records) for p in client.iter_pages("events")) == 60


def test_missing_secret_names_where_to_put_it(
    partner_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PITWALL_PARTNER_API_TOKEN")
    spec = source(partner_api, auth="bearer", endpoints={"events": endpoint("events")})
    with pytest.raises(MissingSecretError, match="env PITWALL_PARTNER_API_TOKEN"):
        RestClient("partner", spec, credentials={}).__enter__()


def test_credentials_yml_used_when_env_unset(
    partner_api: str, sandbox_credentials: SandboxCredentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PITWALL_PARTNER_API_TOKEN")
    spec = source(partner_api, auth="bearer", endpoints={"events": endpoint("events")})
    ref = SecretRef(credentials_key="partner_api.token", env="PITWALL_PARTNER_API_TOKEN")
    spec = spec.model_copy(update={"auth": spec.auth.model_copy(update={"token": ref})})
    creds = {"partner_api": {"token": sandbox_credentials.bearer_token}}
    with RestClient("partner", spec, credentials=creds) as client:
        assert sum(len(p.records) for p in client.iter_pages("events")) == 60


def test_env_overrides_credentials_yml(partner_api: str) -> None:
    spec = source(partner_api, auth="bearer", endpoints={"events": endpoint("events")})
    ref = SecretRef(credentials_key="partner_api.token", env="PITWALL_PARTNER_API_TOKEN")
    spec = spec.model_copy(update={"auth": spec.auth.model_copy(update={"token": ref})})
    stale = {"partner_api": {"token": "stale-token-in-credentials-yml"}}
    with RestClient("partner", spec, credentials=stale) as client:
        assert sum(len(p.records) for p in client.iter_pages("events")) == 60
