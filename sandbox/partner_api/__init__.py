"""Sandbox partner REST API: OAuth2, five pagination styles, ``updated_since``, faults."""

from sandbox.partner_api.app import create_app
from sandbox.partner_api.credentials import SandboxCredentials, partner_api_env
from sandbox.partner_api.data import RESOURCES, PartnerData
from sandbox.partner_api.faults import Faults
from sandbox.partner_api.server import serve_partner_api

__all__ = [
    "RESOURCES",
    "Faults",
    "PartnerData",
    "SandboxCredentials",
    "create_app",
    "partner_api_env",
    "serve_partner_api",
]
