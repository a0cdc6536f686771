"""schemathesis over the reference data operations with an editor token: no server error, and
responses as documented (statuses, media types, bodies).

Which requests succeed depends on the rows present (a key that exists, the version in
``If-Match``), which no OpenAPI document expresses: "positive data is accepted" does not apply.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.generation import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.ref_server import RefApi, ref_api
from tests.api.test_openapi import SPEC

__all__ = ["ref_api"]
CASES = [
    (method.upper(), path, mode)
    for path, item in SPEC["paths"].items()
    if path.startswith("/ref/")
    for method in item
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
]
MAX_EXAMPLES = 10


@pytest.fixture(scope="module")
def ref_schema(ref_api: RefApi) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{ref_api.url}/openapi.json")


def test_every_entity_has_its_operations() -> None:
    paths = {path for _, path, _ in CASES}
    assert "/ref/people/{key}/history" in paths and "/ref/penalties.csv" in paths
    assert len({(m, p) for m, p, _ in CASES}) == 7 * 8


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_ref_operation_contract(
    ref_schema: BaseSchema, ref_api: RefApi, method: str, path: str, mode: GenerationMode
) -> None:
    operation = ref_schema[path][method]
    token = ref_api.mint(["editor"], preferred_username="schemathesis")
    headers = {"Authorization": f"Bearer {token}"}

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()
