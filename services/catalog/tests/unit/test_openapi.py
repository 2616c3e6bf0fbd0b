# SPDX-License-Identifier: AGPL-3.0-or-later
"""The OpenAPI document lists every problem an operation can answer, as problem+json."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.api.app import create_app
from catalog.settings import CatalogSettings


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(CatalogSettings(town="doc-town", database_url="postgresql://localhost/x")).openapi()


def statuses(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def test_each_operation_documents_the_problems_it_can_answer(document: dict[str, Any]) -> None:
    problems = {"400", "401", "403", "408", "409", "413", "422", "503"}  # 503: the database away, the pool full
    assert statuses(document, "post", "/offers/products") == {"200", "201", *problems}
    assert statuses(document, "put", "/offers/{offer_id}/price") == {"200", "404", *problems}
    assert statuses(document, "get", "/catalog") == {"200", "422", "503"}
    assert statuses(document, "get", "/directory/{merchant_id}") == {"200", "404", "422", "503"}


def test_problems_are_problem_json_and_fastapis_own_422_schema_is_gone(document: dict[str, Any]) -> None:
    problem = document["paths"]["/merchants"]["post"]["responses"]["422"]
    assert problem["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert set(document["components"]["schemas"]["Problem"]["required"]) == {"title", "status", "detail"}


def test_authenticated_operations_declare_the_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert document["paths"]["/merchants/me"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in document["paths"]["/catalog"]["get"]


def test_the_directory_documents_who_the_towns_couriers_deliver_for(document: dict[str, Any]) -> None:
    operation = document["paths"]["/directory"]["get"]
    assert "Who delivers here" in operation["description"]
    offers = next(parameter for parameter in operation["parameters"] if parameter["name"] == "offers")
    assert "couriers" in offers["schema"]["anyOf"][0]["enum"]
    schemas = document["components"]["schemas"]
    assert "courier_delivery" in schemas["DirectoryEntry"]["properties"]
    assert {"zone", "delivers_to", "fee", "next_slot"} <= set(schemas["CourierDeliveryOut"]["properties"])
    for request in ("ProfileIn", "MerchantRegistration"):
        assert "location" in schemas[request]["properties"]
