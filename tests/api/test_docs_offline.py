"""``/docs`` renders offline: Swagger UI comes from the API itself (fastapi-offline), and a
real headless Chromium that may reach nothing but loopback lists every operation, also under
the Content-Security-Policy Traefik sends in production."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, Route, sync_playwright

from tests.conftest import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        subprocess.run(["bash", str(REPO_ROOT / "tests" / "ensure_browser.sh")], check=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_docs_page_loads_no_asset_from_a_cdn(api_url: str) -> None:
    page = httpx.get(f"{api_url}/docs", timeout=10).text
    assert "cdn.jsdelivr.net" not in page and "unpkg.com" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        src = next(part for part in page.split('"') if part.endswith(asset))
        served = httpx.get(f"{api_url}{src}", timeout=10)
        assert served.status_code == 200 and len(served.content) > 10_000, asset


def test_docs_render_every_operation_in_chromium_offline(api_url: str, browser: Browser) -> None:
    spec = httpx.get(f"{api_url}/openapi.json", timeout=10).json()
    operations = {
        f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item
    }
    elsewhere: list[str] = []

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page = browser.new_page()
    try:
        page.route("**/*", loopback_only)
        page.goto(f"{api_url}/docs")
        page.wait_for_selector(".opblock", timeout=60_000)
        shown = {
            f"{summary.query_selector('.opblock-summary-method').inner_text()} "  # type: ignore[union-attr]
            f"{summary.query_selector('.opblock-summary-path').get_attribute('data-path')}"  # type: ignore[union-attr]
            for summary in page.query_selector_all(".opblock-summary")
        }
    finally:
        page.unroute_all(behavior="ignoreErrors")  # a request still routed may end with it
        page.close()
    assert not elsewhere, elsewhere
    assert shown == operations


TRAEFIK = REPO_ROOT / "deploy" / "traefik" / "dynamic" / "pitwall.yml"
REDOC_LOGO = "img-src https://cdn.redoc.ly/redoc/logo-mini.svg"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def production_csp(name: str) -> str:
    middlewares = yaml.safe_load(TRAEFIK.read_text())["http"]["middlewares"]
    return " ".join(middlewares[name]["headers"]["contentSecurityPolicy"].split())


@pytest.mark.parametrize(
    ("policy", "violated"),
    [(production_csp("csp-api"), False), ("default-src 'self'; script-src 'self'", True)],
    ids=["production", "strict-control"],
)
def test_docs_render_under_the_production_csp(
    api_url: str, browser: Browser, policy: str, violated: bool
) -> None:
    """Every response gets the header Traefik sends in production (middleware ``csp-api``):
    Swagger UI lists every operation and Redoc renders, with no CSP violation. Control: a
    policy without the inline script's hash is violated, so the header is enforced."""
    spec = httpx.get(f"{api_url}/openapi.json", timeout=10).json()
    operations = sum(len(item) for item in spec["paths"].values())

    def with_csp(route: Route) -> None:
        if urlsplit(route.request.url).hostname != "127.0.0.1":
            route.abort()
            return
        response = route.fetch()
        route.fulfill(response=response,
                      headers={**response.headers, "content-security-policy": policy})  # fmt: skip

    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    context.route("**/*", with_csp)
    try:
        page = context.new_page()
        page.goto(f"{api_url}/docs")
        if violated:
            page.wait_for_function("window.__cspViolations.length > 0", timeout=30_000)
            violations = page.evaluate("window.__cspViolations")
            assert any(v.startswith("script-src") for v in violations), violations
            return
        page.wait_for_selector(".opblock", timeout=60_000)
        assert len(page.query_selector_all(".opblock-summary")) == operations
        assert page.evaluate("window.__cspViolations") == []
        page.goto(f"{api_url}/redoc")
        page.wait_for_selector("[data-section-id*='operation/']", timeout=60_000)
        assert len(page.query_selector_all("[data-section-id*='operation/']")) >= operations
        # Redoc's bundle always tries its vendor's logo from a CDN, and hides it when the
        # image fails (blocked here, or offline): the one violation that breaks nothing
        assert set(page.evaluate("window.__cspViolations")) <= {REDOC_LOGO}
    finally:
        context.unroute_all(
            behavior="ignoreErrors"
        )  # a request still in route.fetch would fail on close
        context.close()
