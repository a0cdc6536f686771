"""The demo (``make demo``): the whole platform on embedded defaults, end to end."""

from sandbox.demo.runner import run_demo

__all__ = ["run_demo"]
