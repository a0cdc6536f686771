"""Declarative REST sources (conf ``api_sources``: sources_api.yml), validated with pydantic.

A source is a base URL, one auth, HTTP behaviour (timeouts, rate limit, retries) and named
endpoints. An endpoint is a path, a paginator, a record selector, an optional incremental
cursor, and the typed columns its CLEAN table keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pitwall.column_specs import TYPE_SHORTHAND, ColumnConstraints

ColumnType = Literal["string", "int", "float", "bool", "date", "datetime"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Spec):
    """Where a secret comes from: a key of ``conf/local/credentials.yml`` and/or an env var.

    ``credentials_key`` is a dotted key (``partner_api.client_secret``); a set ``env`` var
    overrides it.
    (Not named ``credentials``: Kedro would resolve that key itself, at catalog load.)
    """

    credentials_key: str | None = None
    env: str | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> SecretRef:
        if not (self.credentials_key or self.env):
            raise ValueError("a secret needs 'credentials_key' (credentials.yml) or 'env'")
        return self

    def describe(self) -> str:
        key = self.credentials_key
        places = [f"conf/local/credentials.yml:{key}"] if key else []
        return " or ".join([*([f"env {self.env}"] if self.env else []), *places])


class NoAuth(_Spec):
    kind: Literal["none"] = "none"


class BearerAuth(_Spec):
    kind: Literal["bearer"]
    token: SecretRef


class ApiKeyAuth(_Spec):
    kind: Literal["api_key"]
    key: SecretRef
    location: Literal["header", "query"] = "header"
    name: str = "X-API-Key"


class BasicAuth(_Spec):
    kind: Literal["basic"]
    username: SecretRef
    password: SecretRef


class OAuth2ClientCredentials(_Spec):
    kind: Literal["oauth2_client_credentials"]
    token_url: str = Field(description="absolute, or relative to the source's base_url")
    client_id: SecretRef
    client_secret: SecretRef
    scope: str | None = None
    auth_method: Literal["client_secret_basic", "client_secret_post"] = "client_secret_basic"
    refresh_leeway_seconds: float = Field(10.0, ge=0.0)


AuthSpec = Annotated[
    NoAuth | BearerAuth | ApiKeyAuth | BasicAuth | OAuth2ClientCredentials,
    Field(discriminator="kind"),
]


class PageNumberPaginator(_Spec):
    kind: Literal["page_number"]
    page_param: str = "page"
    size_param: str = "page_size"
    page_size: int = Field(100, ge=1)
    first_page: int = 1
    total_pages_path: str | None = Field(None, description="dotted path of the page count")


class OffsetPaginator(_Spec):
    kind: Literal["offset"]
    offset_param: str = "offset"
    limit_param: str = "limit"
    limit: int = Field(100, ge=1)
    total_path: str | None = Field(None, description="dotted path of the record count")


class CursorPaginator(_Spec):
    kind: Literal["cursor"]
    cursor_path: str = Field(description="dotted path of the next cursor in the body")
    cursor_param: str = "cursor"
    size_param: str | None = "limit"
    page_size: int = Field(100, ge=1)


class LinkHeaderPaginator(_Spec):
    kind: Literal["link_header"]
    size_param: str | None = "per_page"
    page_size: int = Field(100, ge=1)
    rel: str = "next"


class NextUrlPaginator(_Spec):
    kind: Literal["next_url"]
    next_url_path: str = Field(description="dotted path of the next page's URL in the body")
    size_param: str | None = "limit"
    page_size: int = Field(100, ge=1)


class SinglePage(_Spec):
    kind: Literal["single"]


PaginatorSpec = Annotated[
    PageNumberPaginator
    | OffsetPaginator
    | CursorPaginator
    | LinkHeaderPaginator
    | NextUrlPaginator
    | SinglePage,
    Field(discriminator="kind"),
]


class CursorSpec(_Spec):
    """Incremental loads: send ``param=<last value landed>``; records must come ordered by
    ``field`` ascending. The API may treat the bound as inclusive: records already landed
    at the boundary are skipped by content."""

    field: str = Field(description="dotted path of the cursor value in a record")
    param: str = Field(description="request parameter that takes the last value")
    initial: str | None = Field(None, description="value sent on the very first run")


class RetrySpec(_Spec):
    """Exponential backoff with jitter (stamina) on timeouts, connection errors, 429, 5xx."""

    attempts: int = Field(8, ge=1)
    wait_initial_seconds: float = Field(0.2, ge=0.0)
    wait_max_seconds: float = Field(10.0, ge=0.0)
    wait_jitter_seconds: float = Field(0.5, ge=0.0)
    timeout_seconds: float = Field(300.0, gt=0.0, description="give up on a page after this")
    max_retry_after_seconds: float = Field(60.0, ge=0.0)


class HttpSpec(_Spec):
    timeout_seconds: float = Field(30.0, gt=0.0)
    connect_timeout_seconds: float = Field(5.0, gt=0.0)
    requests_per_second: float | None = Field(None, gt=0.0)
    headers: dict[str, str] = Field(default_factory=dict)
    retry: RetrySpec = Field(default_factory=RetrySpec)


class ColumnSpec(_Spec, ColumnConstraints):
    """A column of an endpoint's records: type, path, and constraints (see ColumnConstraints)."""

    type: ColumnType = "string"
    path: str | None = Field(None, description="dotted path in the record (default: the name)")
    required: bool = False


class EndpointSpec(_Spec):
    path: str
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    paginator: PaginatorSpec = Field(default_factory=lambda: SinglePage(kind="single"))
    records: str = Field("$", description="dotted path of the record list; '$' is the body")
    cursor: CursorSpec | None = None
    key: list[str] = Field(min_length=1)
    columns: Annotated[dict[str, ColumnSpec], TYPE_SHORTHAND]
    clean_table: str

    @model_validator(mode="after")
    def _keys_declared(self) -> EndpointSpec:
        missing = [k for k in self.key if k not in self.columns]
        if missing:
            raise ValueError(f"key columns {missing} are not declared in columns")
        return self


class SourceSpec(_Spec):
    base_url: str
    auth: AuthSpec = Field(default_factory=NoAuth)
    http: HttpSpec = Field(default_factory=HttpSpec)
    endpoints: dict[str, EndpointSpec] = Field(min_length=1)


def parse_sources(sources: Mapping[str, Any]) -> dict[str, SourceSpec]:
    """Validate the ``api_sources`` mapping (conf/base/sources_api.yml)."""
    return {name: SourceSpec.model_validate(spec) for name, spec in sources.items()}


def read_api_sources() -> dict[str, SourceSpec]:
    """The REST sources declared in the project's conf (``api_sources`` in sources_api.yml)."""
    from pitwall.config import read_config

    return parse_sources(read_config("sources").get("api_sources") or {})
