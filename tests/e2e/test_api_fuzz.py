# SPDX-License-Identifier: AGPL-3.0-or-later
"""Fuzz the catalog API of a scratch town from its OpenAPI document (see tests/support/fuzzing.py).

The town is a random one started for this module, never a demo town. Merchant operations
carry a merchant's token, the association's operations the association token; the checks
include what happens without them. Signing out voids a merchant's tokens, so it is fuzzed with
another merchant's.
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

ASSOCIATION_OPERATIONS = ("/merchants/{merchant_id}/", "/projections/")
SIGN_OUT = ("DELETE", "/merchants/sessions")
DOCUMENT = create_app(CatalogSettings(town="fuzz", database_url="postgresql://localhost/unused")).openapi()


def _merchant(catalog: ServiceInstance, name: str) -> dict[str, str]:
    registered = httpx.post(f"{catalog.api}/merchants", json={**REGISTRATION, "name": name})
    assert registered.status_code == 201, registered.text
    return {"Authorization": f"Bearer {registered.json()['token']}"}


@pytest.fixture(scope="module")
def catalog_target(catalog: ServiceInstance) -> FuzzTarget:
    merchant = _merchant(catalog, "Fuzz & Söhne")
    leaving = _merchant(catalog, "Fuzz & Töchter")  # signs out (its tokens void), the other merchant stays
    association = {"Authorization": f"Bearer {catalog.association_token}"}

    def credentials(operation: schemathesis.APIOperation) -> dict[str, str]:
        if operation.path.startswith(ASSOCIATION_OPERATIONS):
            return association
        return leaving if (operation.method.upper(), operation.path) == SIGN_OUT else merchant

    return FuzzTarget(catalog.api, credentials)


@pytest.mark.parametrize(("method", "path"), operations(DOCUMENT))
def test_the_catalog_api_answers_generated_requests_as_documented(
    method: str, path: str, catalog_target: FuzzTarget
) -> None:
    fuzz_operation(catalog_target, method, path)
