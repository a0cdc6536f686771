"""The sandbox partner API application."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sandbox.partner_api.credentials import SandboxCredentials, TokenStore
from sandbox.partner_api.data import PartnerData
from sandbox.partner_api.faults import FaultInjector, Faults
from sandbox.partner_api.routers import admin, oauth, resources
from sandbox.partner_api.state import SandboxState


def create_app(
    *,
    seed: int = 7,
    sizes: Mapping[str, int] | None = None,
    faults: Faults | None = None,
    credentials: SandboxCredentials | None = None,
    token_ttl_seconds: float = 60.0,
) -> FastAPI:
    """A partner API with seeded data, an OAuth2 token endpoint and fault injection."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sandbox = SandboxState(
            data=PartnerData(seed=seed, sizes=sizes),
            credentials=credentials or SandboxCredentials(),
            tokens=TokenStore(ttl_seconds=token_ttl_seconds),
            faults=FaultInjector(faults),
        )
        yield

    app = FastAPI(title="Pitwall sandbox partner API", lifespan=lifespan)
    app.include_router(oauth.router)
    app.include_router(resources.router)
    app.include_router(resources.public_router)
    app.include_router(admin.router)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
