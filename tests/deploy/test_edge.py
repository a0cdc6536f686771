"""Traefik routes and the Keycloak realm: TLS everywhere, OIDC in front of the dashboards,
MFA for humans, and every name and port in step with compose and the code."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from api.settings import DEMO_PORT, ApiSettings
from tests.deploy.helpers import DEPLOY, read_compose, read_yaml

TRAEFIK = DEPLOY / "traefik" / "dynamic" / "pitwall.yml"
REALM = DEPLOY / "keycloak" / "pitwall-realm.json"
FORWARD_AUTH_HOSTS = {"dashboards": "dash", "airflow": "airflow", "flower": "flower"}
INTERNAL_ROUTERS = {"keycloak-admin"}  # on the internal entry point, published on loopback
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
        expected = ["internal"] if name in INTERNAL_ROUTERS else ["websecure"]
        assert router["entryPoints"] == expected, name
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
    assert set(roles) == {"reader", "ingest", "editor", "admin"}
    assert set(roles["admin"]["composites"]["realm"]) == {"reader", "ingest", "editor"}
    assert roles["editor"]["composites"]["realm"] == ["reader"]
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


def test_keycloak_admin_and_master_realm_only_on_the_internal_entry_point(
    traefik: dict[str, Any],
) -> None:
    routers = traefik["http"]["routers"]
    public = routers["keycloak"]["rule"]
    assert "!PathPrefix(`/admin`)" in public and "!PathPrefix(`/realms/master`)" in public
    static = flags(read_compose()["services"]["traefik"])
    assert static["entrypoints.internal.address"] == ":8443"
    assert "127.0.0.1:8443:8443" in read_compose()["services"]["traefik"]["ports"]
    keycloak = read_compose()["services"]["keycloak"]["environment"]
    assert keycloak["KC_HOSTNAME_ADMIN"].endswith(":8443")
    assert routers["keycloak-admin"]["service"] == "keycloak"


def test_every_public_router_is_limited_and_every_app_behind_the_waf(
    traefik: dict[str, Any],
) -> None:
    http = traefik["http"]
    assert http["middlewares"]["rate-limit"]["rateLimit"]["average"] > 0
    assert http["middlewares"]["in-flight"]["inFlightReq"]["amount"] > 0
    for name, router in http["routers"].items():
        if name in INTERNAL_ROUTERS:
            continue
        middlewares = router["middlewares"]
        assert middlewares[0] == "in-flight", name  # cheapest refusal first
        assert {"rate-limit", "rate-limit-login"} & set(middlewares), name
        if router["service"] != "oauth2-proxy":
            assert "waf" in middlewares, name
    waf = http["middlewares"]["waf"]["plugin"]["coraza"]["directives"]
    assert "SecRuleEngine On" in waf and "Include @owasp_crs/*.conf" in waf
    crs = waf.index("Include @owasp_crs/*.conf")  # target updates need the rules loaded
    assert all(i > crs for i, d in enumerate(waf) if d.startswith("SecRuleUpdateTarget"))
    static = flags(read_compose()["services"]["traefik"])
    assert static["experimental.plugins.coraza.modulename"].endswith("coraza-http-wasm-traefik")
    assert re.fullmatch(r"v\d+\.\d+\.\d+", static["experimental.plugins.coraza.version"])


def csp(traefik: dict[str, Any], name: str) -> dict[str, list[str]]:
    text = traefik["http"]["middlewares"][name]["headers"]["contentSecurityPolicy"]
    directives = {}
    for part in text.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def allowed(policy: dict[str, list[str]], directive: str, source: str) -> bool:
    sources = policy.get(directive, policy.get("default-src", []))
    if source.startswith("/") and not source.startswith("//"):  # same origin
        return "'self'" in sources
    origin = re.match(r"https?://[^/]+", source)
    return source in sources or bool(origin and origin[0] in sources)


def test_the_api_csp_lets_its_docs_pages_load_and_nothing_else(traefik: dict[str, Any]) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    policy = csp(traefik, "csp-api")
    assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    others = [s for v in policy.values() for s in v if s.startswith(("http:", "https:", "*"))]
    assert others == []  # the docs' assets are served by the API itself (offline)
    client = TestClient(create_app(ApiSettings()))  # no lifespan: the docs need no state
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        for script in re.findall(r"<script>(.*?)</script>", html, re.S):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy["script-src"], page
        for src in re.findall(r'<script[^>]+src="([^"]+)"', html):
            assert allowed(policy, "script-src", src), (page, src)
        for href in re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html):
            assert allowed(policy, "style-src", href), (page, href)
        for href in re.findall(r'<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"', html):
            assert allowed(policy, "style-src", href), (page, href)
        for href in re.findall(r'<link[^>]+rel="shortcut icon"[^>]+href="([^"]+)"', html):
            assert allowed(policy, "img-src", href), (page, href)
    assert "/metrics" in traefik["http"]["routers"]["api"]["rule"]  # excluded, never public


def test_the_dashboards_csp_admits_no_other_origin(traefik: dict[str, Any]) -> None:
    policy = csp(traefik, "csp-dashboards")
    for directive, sources in policy.items():
        assert not [s for s in sources if s.startswith(("http:", "https:", "*"))], directive
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'self'" in policy["connect-src"]  # marimo's websocket to its own origin


def test_the_realm_sends_mail_and_keeps_audit_events(realm: dict[str, Any]) -> None:
    smtp = realm["smtpServer"]
    for key in ("host", "port", "from", "user", "password"):
        assert re.fullmatch(r"\$\{PITWALL_SMTP_[A-Z]+\}", smtp[key]), key
    assert smtp["starttls"] == "true" and smtp["auth"] == "true"
    assert realm["resetPasswordAllowed"] and realm["verifyEmail"]
    assert realm["eventsEnabled"] and realm["adminEventsEnabled"]
    assert realm["adminEventsDetailsEnabled"] and realm["eventsExpiration"] >= 30 * 86400
