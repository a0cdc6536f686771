"""Traefik routes and the Keycloak realm: TLS everywhere, OIDC in front of the dashboards,
MFA for humans, and every name and port in step with compose and the code."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.settings import DEMO_PORT, ApiSettings
from tests.deploy.helpers import DEPLOY, read_compose, read_yaml

TRAEFIK = DEPLOY / "traefik" / "dynamic" / "pitwall.yml"
REALM = DEPLOY / "keycloak" / "pitwall-realm.json"
FORWARD_AUTH_HOSTS = {"dashboards": "dash", "airflow": "airflow"}
HOST = re.compile(r'Host\(`([a-z0-9-]+)\.\{\{ env "PITWALL_DOMAIN" \}\}`\)')


@pytest.fixture(scope="module")
def traefik() -> dict[str, Any]:
    return read_yaml(TRAEFIK)


@pytest.fixture(scope="module")
def realm() -> dict[str, Any]:
    return json.loads(REALM.read_text())


def flags(service: dict[str, Any]) -> dict[str, str]:
    return dict(f.removeprefix("--").partition("=")[::2] for f in service["command"])


def service_port(name: str, service: dict[str, Any]) -> int:
    """The port a compose service listens on, from its command, expose or image contract."""
    command = service.get("command") or []
    if "--port" in command:
        return int(command[command.index("--port") + 1])
    for flag in command:
        if flag.startswith("--http-address="):
            return int(flag.rsplit(":", 1)[1])
    if service.get("expose"):
        return int(service["expose"][0])
    return {"keycloak": 8080}[name]  # KC_HTTP_ENABLED: Keycloak's HTTP port


def test_every_router_is_tls_only_and_wired(traefik: dict[str, Any]) -> None:
    http = traefik["http"]
    for name, router in http["routers"].items():
        assert router["entryPoints"] == ["websecure"], name
        assert router["tls"]["certResolver"] == "letsencrypt", name
        assert router["service"] in http["services"], name
        assert set(router.get("middlewares", [])) <= set(http["middlewares"]), name
        assert HOST.search(router["rule"]), name
    assert traefik["tls"]["options"]["default"]["minVersion"] in ("VersionTLS12", "VersionTLS13")


def test_http_redirects_to_https_with_acme_certificates() -> None:
    static = flags(read_compose()["services"]["traefik"])
    assert static["entrypoints.web.http.redirections.entrypoint.to"] == "websecure"
    assert static["entrypoints.web.http.redirections.entrypoint.scheme"] == "https"
    assert static["entrypoints.websecure.address"] == ":443"
    assert static["entrypoints.websecure.http.tls.certresolver"] == "letsencrypt"
    assert static["certificatesresolvers.letsencrypt.acme.tlschallenge"] == "true"
    mounted = [v.split(":") for v in read_compose()["services"]["traefik"]["volumes"]]
    directory = static["providers.file.directory"]
    assert any((DEPLOY / src).resolve() == TRAEFIK.parent and dst == directory
               for src, dst, *_ in mounted)  # fmt: skip


def test_services_point_at_compose_services_and_their_ports(traefik: dict[str, Any]) -> None:
    services = read_compose()["services"]
    for name, service in traefik["http"]["services"].items():
        for server in service["loadBalancer"]["servers"]:
            url = urlsplit(server["url"])
            assert url.hostname in services, name
            assert url.port == service_port(url.hostname, services[url.hostname]), name
    api_url = traefik["http"]["services"]["api"]["loadBalancer"]["servers"][0]["url"]
    assert urlsplit(api_url).port == DEMO_PORT


def test_dashboards_and_airflow_sit_behind_oidc_forward_auth(traefik: dict[str, Any]) -> None:
    http = traefik["http"]
    proxy = flags(read_compose()["services"]["oauth2-proxy"])
    proxy_address = f"http://oauth2-proxy:{proxy['http-address'].rsplit(':', 1)[1]}"
    for router_name in FORWARD_AUTH_HOSTS:
        router = http["routers"][router_name]
        auth = [http["middlewares"][m]["forwardAuth"] for m in router["middlewares"]
                if "forwardAuth" in http["middlewares"][m]]  # fmt: skip
        assert len(auth) == 1, router_name
        assert auth[0]["address"].startswith(proxy_address + "/oauth2/auth"), router_name
        sign_in = http["routers"][f"{router_name}-oauth2"]
        assert sign_in["service"] == "oauth2-proxy" and "PathPrefix(`/oauth2/`)" in sign_in["rule"]
    admin_only = http["middlewares"]["oidc-admin"]["forwardAuth"]["address"]
    assert admin_only.endswith("allowed_groups=role:admin")
    assert proxy["allowed-role"] == "reader"
    api_middlewares = http["routers"]["api"].get("middlewares", [])
    assert not any("forwardAuth" in http["middlewares"][m] for m in api_middlewares)


def test_realm_roles_and_clients(realm: dict[str, Any]) -> None:
    roles = {r["name"]: r for r in realm["roles"]["realm"]}
    assert set(roles) == {"reader", "ingest", "admin"}
    assert set(roles["admin"]["composites"]["realm"]) == {"reader", "ingest"}
    clients = {c["clientId"]: c for c in realm["clients"]}
    assert ApiSettings().oidc_audience in clients
    for client in clients.values():
        assert client.get("directAccessGrantsEnabled") is False, client["clientId"]  # no MFA bypass
        assert not client.get("implicitFlowEnabled"), client["clientId"]
        secret = client.get("secret")
        if secret is not None:
            assert re.fullmatch(r"\$\{[A-Z0-9_]+\}", secret), client["clientId"]
    ingest = clients["pitwall-ingest"]
    assert ingest["serviceAccountsEnabled"] and not ingest["standardFlowEnabled"]
    account = next(u for u in realm["users"] if u.get("serviceAccountClientId") == "pitwall-ingest")
    assert account["realmRoles"] == ["ingest"]
    for client in clients.values():  # tokens of every login client are for the API
        if client.get("standardFlowEnabled") or client.get("serviceAccountsEnabled"):
            audiences = {m["config"]["included.client.audience"]
                         for m in client.get("protocolMappers", [])
                         if m["protocolMapper"] == "oidc-audience-mapper"}  # fmt: skip
            assert ApiSettings().oidc_audience in audiences, client["clientId"]


def test_humans_must_use_a_second_factor(realm: dict[str, Any]) -> None:
    actions = {a["alias"]: a for a in realm["requiredActions"]}
    assert actions["CONFIGURE_TOTP"]["enabled"] and actions["CONFIGURE_TOTP"]["defaultAction"]
    assert realm["otpPolicyType"] == "totp"
    flows = {f["alias"]: f for f in realm["authenticationFlows"]}
    browser = flows[realm["browserFlow"]]
    assert browser["topLevel"]
    forms = [e for e in browser["authenticationExecutions"] if e.get("authenticatorFlow")]
    assert [e["requirement"] for e in browser["authenticationExecutions"]
            if not e.get("authenticatorFlow")] == ["ALTERNATIVE"]  # fmt: skip  # the SSO cookie
    assert len(forms) == 1
    steps = {e["authenticator"]: e["requirement"]
             for e in flows[forms[0]["flowAlias"]]["authenticationExecutions"]}  # fmt: skip
    assert steps == {"auth-username-password-form": "REQUIRED", "auth-otp-form": "REQUIRED"}


def test_realm_placeholders_issuer_and_redirects_match_compose(
    realm: dict[str, Any], traefik: dict[str, Any]
) -> None:
    services = read_compose()["services"]
    keycloak_env = services["keycloak"]["environment"]
    placeholders = set(re.findall(r"\$\{([A-Z0-9_]+)\}", REALM.read_text()))
    assert placeholders <= set(keycloak_env)
    auth_host = HOST.search(traefik["http"]["routers"]["keycloak"]["rule"])[1]
    issuer = f"https://{auth_host}.${{PITWALL_DOMAIN:?}}/realms/{realm['realm']}"
    assert services["api"]["environment"]["PITWALL_API_OIDC_ISSUER"] == issuer
    assert flags(services["oauth2-proxy"])["oidc-issuer-url"] == issuer
    assert keycloak_env["KC_HOSTNAME"] == issuer.split("/realms/")[0]
    client_id = flags(services["oauth2-proxy"])["client-id"]
    client = next(c for c in realm["clients"] if c["clientId"] == client_id)
    assert client["publicClient"] is False
    assert (
        keycloak_env[client["secret"][2:-1]]
        == (services["oauth2-proxy"]["environment"]["OAUTH2_PROXY_CLIENT_SECRET"])
    )
    for router, host in FORWARD_AUTH_HOSTS.items():
        assert HOST.search(traefik["http"]["routers"][router]["rule"])[1] == host
        assert f"https://{host}.${{PITWALL_DOMAIN}}/oauth2/callback" in client["redirectUris"]
