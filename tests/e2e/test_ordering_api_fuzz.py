# SPDX-License-Identifier: AGPL-3.0-or-later
"""Fuzz the ordering API of a scratch town from its OpenAPI document (see tests/support/fuzzing.py).

The town is the session's ordering town (catalog, vouchers, ordering), never a demo town.
Merchant operations carry a merchant's token, the association's its token, a guest's
operations the basket's or order's token. Half of the generated cases use ids that exist
(a basket, an order, the merchant, an offer), so the checks reach past the 404 of a random id.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from ordering.api.app import create_app
from ordering.settings import OrderingSettings
from tests.support.fuzzing import FuzzTarget, fuzz_operation, operations
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import check_out, open_basket, open_shop, pickup, put

DOCUMENT = create_app(OrderingSettings(town="fuzz", database_url="postgresql://localhost/unused")).openapi()
ASSOCIATION_OPERATIONS = ("/figures", "/projections/")
GUEST_OPERATIONS = ("/baskets", "/sign-in-links", "/sessions")


def ordering_target(town: RunningTown) -> FuzzTarget:
    shop = open_shop(town, "Fuzz & Töchter", {"Kerze": ("4,00", 10_000)})
    basket = open_basket(town)
    assert put(town, basket, shop.offers["Kerze"], 2).status_code == 200
    other = open_basket(town)
    assert put(town, other, shop.offers["Kerze"], 1).status_code == 200
    placed = check_out(town, other, {shop.merchant_id: pickup()})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["orders"][0]["order_id"]
    known: dict[str, list[Any]] = {
        "basket_id": [basket.basket_id],
        "order_id": [order_id],
        "merchant_id": [shop.merchant_id],
        "offer_id": [shop.offers["Kerze"]],
    }
    association = {"Authorization": f"Bearer {town.association_token}"}
    guest = {"Basket-Token": basket.token, "Order-Token": placed.json()["order_link_token"]}

    def credentials(operation: schemathesis.APIOperation) -> dict[str, str]:
        if operation.path.startswith(ASSOCIATION_OPERATIONS):
            return association
        if operation.path.startswith(GUEST_OPERATIONS) or operation.path.endswith("/cancel"):
            return guest
        return shop.auth

    return FuzzTarget(town["ordering"].api, credentials, known)


@pytest.fixture(scope="module")
def ordering_fuzz_target(ordering_town: RunningTown) -> FuzzTarget:
    return ordering_target(ordering_town)


@pytest.mark.parametrize(("method", "path"), operations(DOCUMENT))
def test_the_ordering_api_answers_generated_requests_as_documented(
    method: str, path: str, ordering_fuzz_target: FuzzTarget
) -> None:
    fuzz_operation(ordering_fuzz_target, method, path)
