"""schemathesis against the served OpenAPI document: no server error, responses as documented.

Cases are generated per operation with schemathesis' Hypothesis strategies (valid and invalid
inputs) and sent to the API on loopback with an admin token (the reference data operations:
with an editor token, in test_ref_openapi.py). schemathesis' lazy pytest fixture
loader does not work with this pytest, hence a plain test per operation.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from tests.api.conftest import Mint

SPEC = create_app().openapi()
OPERATIONS = [(method.upper(), path) for path, item in SPEC["paths"].items() for method in item]
# invalid inputs can only be generated for operations that take some
# /ref operations run in tests/api/test_ref_openapi.py, with an editor token on a lake of their own
CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    if not path.startswith("/ref/")
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode == GenerationMode.POSITIVE
    or {"parameters", "requestBody"} & set(SPEC["paths"][path][method.lower()])
]
MAX_EXAMPLES = 20


@pytest.fixture(scope="module")
def api_schema(api_url: str) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json")


def test_every_operation_is_covered(api_schema: BaseSchema) -> None:
    served = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert served == set(OPERATIONS)


def check_operation(
    operation: Any, *, mode: GenerationMode, headers: dict[str, str], excluded: list[Any]
) -> None:
    """Send ``MAX_EXAMPLES`` generated cases of one operation; fail on any broken check.

    Hypothesis seeds a derandomized run from the source of ``check``: keep it as it is, or
    the cases generated change.
    """

    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        # A case whose only invalid part is its headers (no or a malformed Authorization)
        # would be valid once the token is added: it is sent as generated (expect a 401).
        meta = case.meta
        only_headers = (
            meta is not None
            and mode == GenerationMode.NEGATIVE
            and {loc for loc in meta.components if meta.is_negative_at(loc)}
            == {ParameterLocation.HEADER}
        )
        sent = {} if only_headers else headers
        case.call_and_validate(headers=sent, excluded_checks=excluded)

    check()


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_operation_contract(
    api_schema: BaseSchema, mint: Mint, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    # Which rows queries are valid depends on the table's own schema (columns, their types,
    # the cursor's sort), which no OpenAPI document can express: a schema-valid request may
    # rightly get a 422 there, so "positive data is accepted" does not apply to it.
    excluded = [positive_data_acceptance] if path == "/tables/{layer}/{name}/rows" else []
    headers = {"Authorization": f"Bearer {mint(['admin'])}"}

    check_operation(operation, mode=mode, headers=headers, excluded=excluded)
