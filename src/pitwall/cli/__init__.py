"""The ``pitwall`` command line."""

from pitwall.cli.main import app

__all__ = ["app"]
