"""The dashboards work under the Content-Security-Policy Traefik sends in production
(deploy/traefik/dynamic/pitwall.yml, middleware csp-dashboards): every response of
``marimo run`` gets that header in real headless Chromium, the charts render, no cell fails,
and the browser reports no CSP violation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from playwright.sync_api import Browser, Route, sync_playwright

from pitwall.dashboards.serve import app_urls, serve_apps
from tests.notebooks.conftest import NOTEBOOKS, REPO, DemoHome
from tests.notebooks.test_browser import CHARTS, CHROMIUM, CHROMIUM_ARGS, AppPage

TRAEFIK = REPO / "deploy" / "traefik" / "dynamic" / "pitwall.yml"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def dashboards_csp() -> str:
    middlewares = yaml.safe_load(TRAEFIK.read_text())["http"]["middlewares"]
    return " ".join(middlewares["csp-dashboards"]["headers"]["contentSecurityPolicy"].split())


@pytest.fixture(scope="module")
def csp_browser() -> Iterator[Browser]:
    """Chromium that lets a page whose responses the test rewrites (an "unknown" address
    space) open its websocket to loopback; the CSP is enforced as usual."""
    if not CHROMIUM.exists():
        pytest.skip("no Chromium (tests/ensure_browser.sh installs it)")
    flags = "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessChecks"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, flags]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def csp_apps_url(demo_home: DemoHome, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("marimo-csp") / "marimo.log"
    with serve_apps(0, notebooks=NOTEBOOKS, env=demo_home.env, log_path=log) as base:
        yield base


@pytest.mark.parametrize("app", ["lap_analysis", "sql_explorer"])
def test_app_renders_under_the_production_csp(
    app: str,
    csp_apps_url: str,
    csp_browser: Browser,
) -> None:
    policy = dashboards_csp()

    def with_csp(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response,
                      headers={**response.headers, "content-security-policy": policy})  # fmt: skip

    context = csp_browser.new_context(viewport={"width": 1400, "height": 3200})
    context.add_init_script(RECORD_VIOLATIONS)
    context.route("**/*", with_csp)
    console: list[str] = []
    try:
        view = AppPage.__new__(AppPage)
        view.page = context.new_page()
        view.messages = []
        view.page.on("console", lambda m: console.append(m.text))
        view.page.on("websocket", lambda ws: ws.on("framereceived", view._record))
        view.page.goto(app_urls(csp_apps_url)[app])
        try:
            view.wait_for_charts(CHARTS[app])
        except AssertionError as exc:
            violations = view.page.evaluate("window.__cspViolations")
            raise AssertionError(
                f"{exc}; CSP violations {violations}; console {console[-20:]}"
            ) from None
        view.page.wait_for_timeout(500)
        assert view.cell_errors() == []
        assert view.page.evaluate("window.__cspViolations") == []
        assert [line for line in console if "Content Security Policy" in line] == []
    finally:
        # a request still in its route handler (route.fetch) when the test ends would fail
        # on the closed context, and Playwright reports that as an error of a later test
        context.unroute_all(behavior="ignoreErrors")
        context.close()


def test_the_header_is_enforced_a_stricter_policy_is_violated(
    csp_apps_url: str, csp_browser: Browser
) -> None:
    """Control: without 'unsafe-inline'/'unsafe-eval' marimo's page is refused (so the
    passing tests above ran under an enforced policy, not an ignored header)."""
    strict = "default-src 'self'; script-src 'self'"

    def with_strict_csp(route: Route) -> None:
        response = route.fetch()
        route.fulfill(response=response,
                      headers={**response.headers, "content-security-policy": strict})  # fmt: skip

    context = csp_browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    context.route("**/*", with_strict_csp)
    try:
        page = context.new_page()
        page.goto(app_urls(csp_apps_url)["lap_analysis"])
        page.wait_for_function("window.__cspViolations.length > 0", timeout=60_000)
        violations = page.evaluate("window.__cspViolations")
        assert any(v.startswith("script-src") for v in violations), violations
    finally:
        # a request still in its route handler (route.fetch) when the test ends would fail
        # on the closed context, and Playwright reports that as an error of a later test
        context.unroute_all(behavior="ignoreErrors")
        context.close()
