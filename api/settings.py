"""Settings of the read API, from ``PITWALL_API_*`` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from pitwall.settings import find_project_root
from pitwall.sql import SandboxLimits

Backend = Literal["duckdb", "postgres"]

DEMO_PORT = 8000
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


class ApiSettings(BaseSettings):
    """Everything the API needs to know; defaults fit the demo (sandbox issuer on 8803)."""

    model_config = SettingsConfigDict(env_prefix="PITWALL_API_", extra="ignore")

    oidc_issuer: str = Field(
        "http://127.0.0.1:8803/realms/pitwall",
        description="issuer URL; its /.well-known/openid-configuration names the JWKS",
    )
    oidc_audience: str = "pitwall-api"
    clock_leeway_s: int = Field(5, ge=0, le=300, description="tolerance on exp/nbf/iat")
    jwks_max_age_s: float = Field(600.0, gt=0, description="refetch the JWKS after this")
    jwks_min_refresh_s: float = Field(
        10.0, ge=0, description="at most one refetch per interval for unknown kids"
    )
    jwks_timeout_s: float = Field(5.0, gt=0, le=60, description="longest wait for the JWKS")
    jwks_max_backoff_s: float = Field(
        60.0, gt=0, description="after failed fetches, retry at most this far apart"
    )

    backend: Backend = "duckdb"
    lake_uri: str | None = Field(None, description="lake root; PITWALL_LAKE_URI when unset")
    catalog_refresh_s: float = Field(
        30.0, ge=0, description="re-read the lake's table versions this often (0 = never)"
    )
    cache_max_rows: int = Field(
        2_000_000,
        ge=0,
        description="tables up to this many rows are held in DuckDB memory (0 = none)",
    )
    duckdb_threads: int = Field(2, ge=1, le=64)
    duckdb_memory_limit: str = Field(
        "4GB", description="DuckDB memory limit (the in-memory table cache counts)"
    )
    query_timeout_s: float = Field(30.0, gt=0, description="longest run time of one query")
    pg_dsn: str | None = Field(None, description="reader DSN for the postgres backend")

    upload_max_bytes: int = Field(16 * 1024 * 1024, gt=0, description="largest CSV upload")
    max_header_bytes: int = Field(
        32 * 1024, ge=4096, le=1024 * 1024, description="largest request head (431 beyond)"
    )
    home: Path = Field(default_factory=find_project_root, description="project root holding conf/")

    def duckdb_limits(self) -> SandboxLimits:
        """The sandbox limits of the API's DuckDB snapshots."""
        return SandboxLimits(
            memory_limit=self.duckdb_memory_limit,
            threads=self.duckdb_threads,
            timeout_s=self.query_timeout_s,
        )
