"""``pitwall demo``: the whole platform end to end on embedded defaults."""

from sandbox.demo.runner import run_demo

__all__ = ["run_demo"]
