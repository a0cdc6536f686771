"""Routers of the sandbox partner API."""
