"""The sandbox OIDC issuer: discovery, JWKS, client-credentials tokens, and ``pitwall token``."""

from __future__ import annotations

import httpx
import jwt
import pytest
import typer
from typer.testing import CliRunner

from pitwall.cli.token import token_command
from sandbox.oidc import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, discover, mint_token


def test_discovery_names_the_keycloak_layout(issuer_url: str) -> None:
    document = discover(issuer_url)
    assert document["issuer"] == issuer_url
    assert document["jwks_uri"] == f"{issuer_url}/protocol/openid-connect/certs"
    assert document["token_endpoint"] == f"{issuer_url}/protocol/openid-connect/token"


def test_jwks_publishes_rs256_and_es256(issuer_url: str) -> None:
    keys = httpx.get(str(discover(issuer_url)["jwks_uri"])).json()["keys"]
    assert {(k["kty"], k["alg"]) for k in keys} >= {("RSA", "RS256"), ("EC", "ES256")}
    assert all("d" not in k for k in keys), "private parts never published"


def test_token_is_keycloak_shaped(issuer_url: str) -> None:
    token = mint_token(issuer_url, roles=["reader", "ingest"])
    key = jwt.PyJWKClient(str(discover(issuer_url)["jwks_uri"])).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=["RS256"], audience="pitwall-api")
    assert claims["iss"] == issuer_url
    assert claims["realm_access"] == {"roles": ["ingest", "reader"]}
    assert claims["azp"] == DEMO_CLIENT_ID
    assert claims["exp"] > claims["iat"]


def token_request(issuer_url: str, **form: str) -> httpx.Response:
    return httpx.post(f"{issuer_url}/protocol/openid-connect/token", data=form)


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_id": DEMO_CLIENT_ID, "client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody", "client_secret": DEMO_CLIENT_SECRET}, 401, "invalid_client"),
        ({"scope": "reader superuser"}, 400, "invalid_scope"),
    ],
)
def test_token_endpoint_errors(issuer_url: str, form: dict, status: int, error: str) -> None:
    full = {
        "grant_type": "client_credentials",
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
        **form,
    }
    response = token_request(issuer_url, **full)
    assert response.status_code == status
    assert response.json()["error"] == error


def test_client_secret_post_and_default_roles(issuer_url: str) -> None:
    response = token_request(
        issuer_url,
        grant_type="client_credentials",
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
    )
    claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
    assert claims["realm_access"]["roles"] == ["admin", "editor", "ingest", "reader"]


def test_ttl_asks_for_a_lifetime_up_to_a_day(issuer_url: str) -> None:
    form = {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
    for ttl, granted in (("7200", 7200), ("999999", 86400)):
        response = token_request(issuer_url, grant_type="client_credentials", ttl=ttl, **form)
        claims = jwt.decode(response.json()["access_token"], options={"verify_signature": False})
        assert response.json()["expires_in"] == claims["exp"] - claims["iat"] == granted


def test_pitwall_token_prints_a_usable_token(
    issuer_url: str, api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PITWALL_OIDC_CLIENT_SECRET", DEMO_CLIENT_SECRET)
    app_runner = CliRunner()
    cli = typer.Typer()
    cli.command()(token_command)
    result = app_runner.invoke(cli, ["--issuer", issuer_url, "--role", "reader"])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    token = result.stdout.strip()
    response = httpx.get(f"{api_url}/sessions", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    failing = app_runner.invoke(cli, ["--issuer", "http://127.0.0.1:9/realms/none"])
    assert failing.exit_code == 1
