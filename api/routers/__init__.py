"""One router per resource."""

from api.routers import admin, feeds, health, ingestion, leaderboard, sessions, tables

ROUTERS = (
    health.router,
    tables.router,
    sessions.router,
    leaderboard.router,
    ingestion.router,
    feeds.router,
    admin.router,
)

__all__ = ["ROUTERS"]
