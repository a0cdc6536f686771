"""Secrets never reach logs or output: all auth kinds, successes and failures, at DEBUG."""

from __future__ import annotations

import logging

import pytest

from pitwall.rest import RestClient, RestSourceError
from sandbox.partner_api import SandboxCredentials
from tests.rest.helpers import endpoint, set_faults, source


@pytest.mark.parametrize("auth", ["bearer", "api_key_header", "api_key_query", "basic", "oauth2"])
def test_no_secret_in_logs_or_output(
    partner_api: str,
    sandbox_credentials: SandboxCredentials,
    auth: str,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, incl. httpx, httpcore, authlib, stamina
    for name in ("httpx", "httpcore", "authlib", "stamina"):  # even if a Kedro run in this
        caplog.set_level(logging.DEBUG, logger=name)  # process set their levels (logging.yml)
    set_faults(partner_api, server_error=0.2, rate_limit=0.2, retry_after_seconds=0.01, seed=2)
    try:
        spec = source(partner_api, auth=auth, endpoints={"events": endpoint("events")})
        with RestClient("partner", spec) as client:
            for page in client.iter_pages("events"):
                logging.getLogger("pitwall.rest.test").info("page url %s", page.url)
        broken = source(
            partner_api, auth=auth, endpoints={"nope": {**endpoint("events"), "path": "/v1/nope"}}
        )
        with RestClient("partner", broken) as client, pytest.raises(RestSourceError) as err:
            list(client.iter_pages("nope"))
        logging.getLogger("pitwall.rest.test").error("failed: %s", err.value)
    finally:
        set_faults(partner_api)
    out = capsys.readouterr()
    text = caplog.text + out.out + out.err
    assert "HTTP Request" in caplog.text  # httpx did log each request (with its URL)
    secrets = [
        sandbox_credentials.client_secret,
        sandbox_credentials.bearer_token,
        sandbox_credentials.api_key,
        sandbox_credentials.password,
    ]
    for secret in secrets:
        assert secret not in text
    if auth == "api_key_query":
        assert "api_key=***" in caplog.text
