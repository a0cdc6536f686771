"""Pure nodes of the mirror: the plan is validated params; the dataset does the IO."""

from __future__ import annotations

from typing import Any

from pitwall.postgres.options import MirrorOptions


def plan_mirror(params: dict[str, Any], *upstream: object) -> dict[str, Any]:
    """The mirror plan from ``params:mirror_postgres``.

    Args:
        params: the ``mirror_postgres`` parameters.
        *upstream: CLEAN datasets of the ingest pipelines, taken only so that Kedro runs the
            mirror after them (and kedro-viz draws the lineage); their content is not used.

    Returns:
        Validated :class:`~pitwall.postgres.options.MirrorOptions` as a plain dict.
    """
    return MirrorOptions.model_validate(params).model_dump()
