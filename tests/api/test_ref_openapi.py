"""schemathesis over the reference data operations with an editor token: no server error, and
responses as documented (statuses, media types, bodies).

Which requests succeed depends on the rows present (a key that exists, the version in
``If-Match``), which no OpenAPI document expresses: "positive data is accepted" does not apply.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis.generation import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.ref_server import RefApi, ref_api
from tests.api.test_openapi import SPEC, check_operation

__all__ = ["ref_api"]
CASES = [
    (method.upper(), path, mode)
    for path, item in SPEC["paths"].items()
    if path.startswith("/ref/")
    for method in item
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
]


@pytest.fixture(scope="module")
def ref_schema(ref_api: RefApi) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{ref_api.url}/openapi.json")


def test_every_entity_has_its_operations() -> None:
    paths = {path for _, path, _ in CASES}
    assert "/ref/people/{key}/history" in paths and "/ref/penalties.csv" in paths
    assert len({(m, p) for m, p, _ in CASES}) == 7 * 8


def test_the_document_describes_the_model_and_the_roles() -> None:
    (tag,) = [t for t in SPEC["tags"] if t["name"] == "reference data"]
    assert "`editor`" in tag["description"] and "If-Match" in tag["description"]
    schemas = SPEC["components"]["schemas"]
    for model in ("Person", "Identity", "Team", "Membership", "Event", "Penalty"):
        assert {f"{model}Create", f"{model}Update", f"{model}Public"} <= set(schemas), model
    patch = SPEC["paths"]["/ref/people/{key}"]["patch"]
    assert {"412", "428", "422"} <= set(patch["responses"])
    assert any(p["name"] == "if-match" for p in patch["parameters"])


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_ref_operation_contract(
    ref_schema: BaseSchema, ref_api: RefApi, method: str, path: str, mode: GenerationMode
) -> None:
    operation = ref_schema[path][method]
    token = ref_api.mint(["editor"], preferred_username="schemathesis")
    headers = {"Authorization": f"Bearer {token}"}

    check_operation(
        operation,
        mode=mode,
        headers=headers,
        excluded=[positive_data_acceptance],
    )
