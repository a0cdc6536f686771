"""The auth matrix: every bad token is refused with 401, a missing role with 403."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from collections.abc import Callable

import httpx
import jwt
import orjson
import pytest
from cryptography.hazmat.primitives import serialization

from api.auth import AuthError, JwksCache, TokenVerifier
from sandbox.oidc import DEFAULT_AUDIENCE, DEMO_CLIENT_SECRET, SandboxIssuer, mint_token
from sandbox.oidc.keys import KeyRing
from tests.api.conftest import Mint

PROTECTED = "/sessions"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict, claims: dict, sign: Callable[[bytes], bytes]) -> str:
    """A JWT assembled by hand (PyJWT refuses to produce the attacks below)."""
    signing_input = f"{b64url(orjson.dumps(header))}.{b64url(orjson.dumps(claims))}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def valid_claims(mint: Mint) -> dict:
    return jwt.decode(mint(), options={"verify_signature": False})


def get(api_url: str, token: str | None, path: str = PROTECTED) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.get(f"{api_url}{path}", headers=headers, timeout=30)


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]


def test_health_needs_no_token(api_url: str) -> None:
    response = get(api_url, None, "/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_no_token(api_url: str) -> None:
    response = get(api_url, None)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_not_a_bearer_scheme(api_url: str, mint: Mint) -> None:
    response = httpx.get(
        f"{api_url}{PROTECTED}", headers={"Authorization": f"Basic {mint()}"}, timeout=30
    )
    assert_problem(response, 401)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_valid_tokens_of_both_algorithms(api_url: str, mint: Mint, alg: str) -> None:
    assert get(api_url, mint(alg=alg)).status_code == 200


def test_token_from_the_token_endpoint(api_url: str, issuer_url: str) -> None:
    token = mint_token(issuer_url, roles=["reader"])
    assert get(api_url, token).status_code == 200
    es256 = mint_token(issuer_url, client_id="pitwall-demo-es256", client_secret=DEMO_CLIENT_SECRET)
    assert jwt.get_unverified_header(es256)["alg"] == "ES256"
    assert get(api_url, es256).status_code == 200


@pytest.mark.parametrize(
    ("case", "overrides"),
    [
        ("expired", {"iat": int(time.time()) - 3600, "exp": int(time.time()) - 60}),
        ("not yet valid", {"nbf": int(time.time()) + 600}),
        ("wrong audience", {"aud": "another-api"}),
        ("wrong issuer", {"iss": "http://127.0.0.1:1/realms/evil"}),
        ("no expiry", {"exp": None}),
        ("no subject", {"sub": None}),
    ],
)
def test_bad_claims(api_url: str, mint: Mint, case: str, overrides: dict) -> None:
    assert_problem(get(api_url, mint(**overrides)), 401)


def test_bad_signature(api_url: str, mint: Mint, issuer: SandboxIssuer) -> None:
    # same kid and algorithm, but signed by a key the issuer never published
    impostor = KeyRing.generate().current("RS256").private_key
    kid = issuer.keys.current("RS256").kid
    forged = jwt.encode(valid_claims(mint), impostor, algorithm="RS256", headers={"kid": kid})
    assert_problem(get(api_url, forged), 401)


def test_tampered_payload(api_url: str, mint: Mint) -> None:
    header, _, signature = mint().split(".")
    claims = {**valid_claims(mint), "realm_access": {"roles": ["admin"]}}
    assert_problem(get(api_url, f"{header}.{b64url(orjson.dumps(claims))}.{signature}"), 401)


def test_alg_none(api_url: str, mint: Mint, issuer: SandboxIssuer) -> None:
    header = {"alg": "none", "typ": "JWT", "kid": issuer.keys.current("RS256").kid}
    token = handmade(header, valid_claims(mint), lambda _: b"")
    assert_problem(get(api_url, token), 401)


def test_hs256_with_the_public_key_as_secret(
    api_url: str, mint: Mint, issuer: SandboxIssuer
) -> None:
    key = issuer.keys.current("RS256")
    pem = key.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    token = handmade(
        header, valid_claims(mint), lambda m: hmac.new(pem, m, hashlib.sha256).digest()
    )
    assert_problem(get(api_url, token), 401)


def test_algorithm_must_match_the_key(api_url: str, mint: Mint, issuer: SandboxIssuer) -> None:
    # an ES256 signature presented under the kid of the RSA key
    ec_key = issuer.keys.current("ES256").private_key
    rsa_kid = issuer.keys.current("RS256").kid
    token = jwt.encode(valid_claims(mint), ec_key, algorithm="ES256", headers={"kid": rsa_kid})
    assert_problem(get(api_url, token), 401)


@pytest.mark.parametrize("token", ["-", "garbage", "a.b.c", "x" * 5000])
def test_malformed(api_url: str, token: str) -> None:
    assert_problem(get(api_url, token), 401)


@pytest.mark.parametrize("roles", [[], ["ingest"], ["Reader"], ["offline_access"]])
def test_valid_token_lacking_the_role(api_url: str, mint: Mint, roles: list[str]) -> None:
    assert_problem(get(api_url, mint(roles)), 403)


def test_roles_claim_must_be_a_list(api_url: str, mint: Mint) -> None:
    assert_problem(get(api_url, mint(realm_access={"roles": "reader"})), 403)


def test_client_without_the_role_gets_403(api_url: str, issuer_url: str) -> None:
    token = mint_token(issuer_url, client_id="reader-only", client_secret="reader-secret")
    assert get(api_url, token).status_code == 200
    assert_problem(httpx.post(f"{api_url}/admin/catalog/refresh", headers={
        "Authorization": f"Bearer {token}"}, timeout=30), 403)  # fmt: skip


def test_admin_holds_every_role(api_url: str, mint: Mint) -> None:
    assert get(api_url, mint(["admin"])).status_code == 200


def test_rotated_key_is_fetched_on_unknown_kid(
    api_url: str, mint: Mint, issuer: SandboxIssuer
) -> None:
    new_key = issuer.keys.rotate("RS256")
    token = mint()
    assert jwt.get_unverified_header(token)["kid"] == new_key.kid
    assert get(api_url, token).status_code == 200


def test_unknown_kids_refetch_at_most_once_per_interval(
    issuer_url: str, issuer: SandboxIssuer
) -> None:
    async def scenario() -> tuple[int, int, bool]:
        async with httpx.AsyncClient() as http:
            cache = JwksCache(issuer_url, client=http, min_refresh_s=3600)
            for kid in ("made-up-1", "made-up-2", "made-up-3"):
                assert await cache.get(kid) is None
            known = await cache.get(issuer.keys.current("ES256").kid) is not None
            eager = JwksCache(issuer_url, client=http, min_refresh_s=0)
            for kid in ("made-up-1", "made-up-2"):
                assert await eager.get(kid) is None
            return cache.fetches, eager.fetches, known

    assert asyncio.run(scenario()) == (1, 2, True)


def test_issuer_down_is_503_not_401(api_lake, api_home, mint: Mint) -> None:
    from api.serve import serve_api
    from api.settings import ApiSettings

    settings = ApiSettings(
        oidc_issuer="http://127.0.0.1:9/realms/none", lake_uri=api_lake.root, home=api_home
    )
    with serve_api(settings=settings) as url:
        assert_problem(get(url, mint()), 503)


def test_remembered_tokens_still_expire(issuer_url: str, mint: Mint) -> None:
    now = [time.time()]

    async def scenario() -> list[str]:
        outcomes = []
        async with httpx.AsyncClient() as http:
            verifier = TokenVerifier(
                JwksCache(issuer_url, client=http),
                audience=DEFAULT_AUDIENCE,
                leeway_s=0,
                clock=lambda: now[0],
            )
            token = mint(exp=int(now[0]) + 30)
            for advance in (0, 10, 15):  # within exp: served from the cache
                now[0] += advance
                outcomes.append((await verifier.verify(token)).subject)
            now[0] += 10  # past exp, still within the recheck window
            try:
                await verifier.verify(token)
            except AuthError as exc:
                outcomes.append(str(exc))
        return outcomes

    assert asyncio.run(scenario()) == ["test-user"] * 3 + ["token expired"]
