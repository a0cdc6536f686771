"""Pitwall read API: FastAPI over the lake, protected by OIDC bearer tokens."""

from api.app import create_app
from api.serve import serve_api
from api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app", "serve_api"]
