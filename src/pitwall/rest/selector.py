"""A small dotted-path selector (``data``, ``meta.total_pages``, ``$``, ``$.a.b``, ``items.0``).

Written here instead of pulling a JSONPath library: the sources need only dotted paths into
objects and list indexes, and the selection runs once per page.
"""

from __future__ import annotations

from typing import Any

MISSING: Any = object()


def select(document: Any, path: str) -> Any:
    """The value at ``path`` in ``document``, or :data:`MISSING` when a step is absent."""
    steps = [s for s in path.removeprefix("$").split(".") if s]
    node = document
    for step in steps:
        if isinstance(node, dict):
            node = node.get(step, MISSING)
        elif (
            isinstance(node, list)
            and step.lstrip("-").isdigit()
            and -len(node) <= int(step) < len(node)
        ):
            node = node[int(step)]
        else:
            return MISSING
        if node is MISSING:
            return MISSING
    return node
