"""Building declared sources against the sandbox partner API."""

from __future__ import annotations

from typing import Any

import httpx

from pitwall.rest.spec import SourceSpec

ID_FIELDS = {
    "events": "event_id",
    "entries": "entry_id",
    "results": "result_id",
    "weather": "observation_id",
    "standings": "standing_id",
}
PAGINATORS: dict[str, tuple[dict[str, Any], str]] = {
    # sandbox style -> (paginator spec, record selector)
    "page_number": ({"kind": "page_number", "page_size": 7}, "data"),
    "offset": ({"kind": "offset", "limit": 9, "total_path": "paging.total"}, "items"),
    "cursor": ({"kind": "cursor", "cursor_path": "next_cursor", "page_size": 11}, "results"),
    "link": ({"kind": "link_header", "page_size": 13}, "$"),
    "next_url": ({"kind": "next_url", "next_url_path": "links.next", "page_size": 8}, "records"),
}
AUTHS: dict[str, dict[str, Any]] = {
    "none": {"kind": "none"},
    "bearer": {"kind": "bearer", "token": {"env": "PITWALL_PARTNER_API_TOKEN"}},
    "api_key_header": {
        "kind": "api_key",
        "location": "header",
        "name": "X-API-Key",
        "key": {"env": "PITWALL_PARTNER_API_KEY"},
    },
    "api_key_query": {
        "kind": "api_key",
        "location": "query",
        "name": "api_key",
        "key": {"env": "PITWALL_PARTNER_API_KEY"},
    },
    "basic": {
        "kind": "basic",
        "username": {"env": "PITWALL_PARTNER_API_USERNAME"},
        "password": {"env": "PITWALL_PARTNER_API_PASSWORD"},
    },
    "oauth2": {
        "kind": "oauth2_client_credentials",
        "token_url": "/oauth/token",
        "client_id": {"env": "PITWALL_PARTNER_API_CLIENT_ID"},
        "client_secret": {"env": "PITWALL_PARTNER_API_CLIENT_SECRET"},
        "refresh_leeway_seconds": 0.5,
    },
}
FAST_RETRY = {
    "attempts": 8,
    "wait_initial_seconds": 0.005,
    "wait_max_seconds": 0.05,
    "wait_jitter_seconds": 0.005,
    "timeout_seconds": 60,
}


def endpoint(
    resource: str,
    *,
    style: str = "page_number",
    public: bool = False,
    incremental: bool = True,
    page_size: int | None = None,
) -> dict[str, Any]:
    paginator, records = PAGINATORS[style]
    if page_size is not None:
        size_key = "limit" if paginator["kind"] == "offset" else "page_size"
        paginator = {**paginator, size_key: page_size}
    key = ID_FIELDS[resource]
    spec: dict[str, Any] = {
        "path": f"{'/public' if public else ''}/v1/{resource}",
        "params": {"style": style},
        "paginator": paginator,
        "records": records,
        "key": [key],
        "columns": {key: "string", "updated_at": "datetime"},
        "clean_table": f"test_{resource}",
    }
    if incremental:
        spec["cursor"] = {"field": "updated_at", "param": "updated_since"}
    return spec


def source(
    base_url: str,
    *,
    auth: str = "oauth2",
    endpoints: dict[str, dict[str, Any]],
    http: dict[str, Any] | None = None,
) -> SourceSpec:
    return SourceSpec.model_validate(
        {
            "base_url": base_url,
            "auth": AUTHS[auth],
            "http": {"retry": FAST_RETRY, **(http or {})},
            "endpoints": endpoints,
        }
    )


def truth(base_url: str, resource: str) -> list[dict[str, Any]]:
    """Every record the sandbox holds now."""
    return httpx.get(f"{base_url}/admin/records/{resource}").json()


def stats(base_url: str) -> dict[str, Any]:
    return httpx.get(f"{base_url}/admin/stats").json()


def set_faults(base_url: str, **faults: Any) -> None:
    httpx.put(f"{base_url}/admin/faults", json=faults).raise_for_status()
