# SPDX-License-Identifier: AGPL-3.0-or-later
"""Fuzz the vouchers API of a scratch town from its OpenAPI document (see tests/support/fuzzing.py).

The town is a random one started for this module (catalog and vouchers), never a demo town.
The association's operations carry its token, a merchant's operations a merchant's token
(a member of the town programme, with a programme of its own), a buyer's operations the
access token of a paid purchase whose codes were not fetched yet. Half of the generated
cases use ids that exist (programmes, the merchant, a campaign, purchases, vouchers, a
redemption, a code), so the checks reach past the 404 of a random id.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis

from tests.support.fuzzing import FuzzTarget, fuzz_operation, operations
from tests.support.local_stack import RunningTown
from tests.support.vouchers_client import (
    association,
    buy,
    buyer,
    campaign,
    codes_of,
    join,
    merchant,
    merchant_programme,
    paid_vouchers,
    provider_pays,
    redeem,
    sell_at_counter,
    town_programme,
    wait_for_codes,
)
from vouchers.api.app import create_app
from vouchers.settings import VouchersSettings

DOCUMENT = create_app(VouchersSettings(town="fuzz", database_url="postgresql://localhost/unused")).openapi()
ASSOCIATION_OPERATIONS = (
    "/campaigns",
    "/bulk-issues",
    "/figures",
    "/settlements",
    "/liability",
    "/programmes",
    "/projections/",
)
MERCHANT_OPERATIONS = ("/programmes/{programme_id}/members",)


def vouchers_target(town: RunningTown) -> FuzzTarget:
    """The running vouchers API of ``town`` with a little of everything in it, and who calls what."""
    vouchers = town["vouchers"]
    programme_id = town_programme(town)
    merchant_id, shop = merchant(town, name="Fuzz & Söhne")
    join(town, programme_id, shop)
    own_programme = merchant_programme(town, shop, 1000, 2500)
    campaign_id = campaign(town, programme_id, percent=10, budget=100_000, cap=5_000)["campaign_id"]

    (town_voucher, town_code), _ = paid_vouchers(town, programme_id, 2500, 1000)
    redemption_id = redeem(vouchers, shop, town_code, 500).json()["redemption_id"]
    counter = sell_at_counter(town, shop, own_programme, 1000).json()
    own_codes = codes_of(vouchers, counter["purchase"]["purchase_id"], counter["access_token"])
    wait_for_codes(vouchers, list(own_codes))
    pending = buy(town, programme_id, 1000)["purchase"]
    bought = buy(town, programme_id, 5000)  # paid, its codes not fetched: the fuzzer may print them once
    assert provider_pays(vouchers, bought["purchase"]).status_code == 200

    known: dict[str, list[Any]] = {
        "programme_id": [programme_id, own_programme],
        "merchant_id": [merchant_id],
        "campaign_id": [campaign_id],
        "purchase_id": [bought["purchase"]["purchase_id"], pending["purchase_id"]],
        "voucher_id": [town_voucher, *own_codes],
        "redemption_id": [redemption_id],
        "code": [town_code, *own_codes.values()],
    }
    association_auth, buyer_auth = association(town), buyer(bought["access_token"])

    def credentials(operation: schemathesis.APIOperation) -> dict[str, str]:
        if operation.path.startswith("/purchases/{purchase_id}") and operation.method.upper() == "GET":
            return buyer_auth
        if operation.path.startswith(MERCHANT_OPERATIONS):
            return shop
        if operation.path.startswith(ASSOCIATION_OPERATIONS) or operation.path.endswith("/payments"):
            return association_auth
        return shop

    return FuzzTarget(vouchers.api, credentials, known)


@pytest.fixture(scope="module")
def vouchers_fuzz_target(catalog_and_vouchers: RunningTown) -> FuzzTarget:
    return vouchers_target(catalog_and_vouchers)


@pytest.mark.parametrize(("method", "path"), operations(DOCUMENT))
def test_the_vouchers_api_answers_generated_requests_as_documented(
    method: str, path: str, vouchers_fuzz_target: FuzzTarget
) -> None:
    fuzz_operation(vouchers_fuzz_target, method, path)
