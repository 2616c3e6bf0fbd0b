# SPDX-License-Identifier: AGPL-3.0-or-later
"""Fuzz the catalog API of a scratch town from its OpenAPI document (see tests/support/fuzzing.py).

The town is a random one started for this module, never a demo town. Merchant operations
carry a merchant's token, the association's operations the association token; the checks
include what happens without them.
"""

from __future__ import annotations

import httpx
import pytest
import schemathesis

from catalog.api.app import create_app
from catalog.settings import CatalogSettings
from tests.support.catalog_client import REGISTRATION
from tests.support.fuzzing import FuzzTarget, fuzz_operation, operations
from tests.support.local_stack import ServiceInstance

ASSOCIATION_OPERATIONS = ("/merchants/{merchant_id}/",)
DOCUMENT = create_app(CatalogSettings(town="fuzz", database_url="postgresql://localhost/unused")).openapi()


@pytest.fixture(scope="module")
def catalog_target(catalog: ServiceInstance) -> FuzzTarget:
    registered = httpx.post(f"{catalog.api}/merchants", json={**REGISTRATION, "name": "Fuzz & Söhne"})
    assert registered.status_code == 201, registered.text
    merchant = {"Authorization": f"Bearer {registered.json()['token']}"}
    association = {"Authorization": f"Bearer {catalog.association_token}"}

    def credentials(operation: schemathesis.APIOperation) -> dict[str, str]:
        return association if operation.path.startswith(ASSOCIATION_OPERATIONS) else merchant

    return FuzzTarget(catalog.api, credentials)


@pytest.mark.parametrize(("method", "path"), operations(DOCUMENT))
def test_the_catalog_api_answers_generated_requests_as_documented(
    method: str, path: str, catalog_target: FuzzTarget
) -> None:
    fuzz_operation(catalog_target, method, path)
