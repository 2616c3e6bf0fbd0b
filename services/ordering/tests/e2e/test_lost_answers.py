# SPDX-License-Identifier: AGPL-3.0-or-later
"""An order never waits for ever: an answer of the catalog or of vouchers that does not come
(its worker down, its record dead-lettered or unreadable during an upgrade) rejects the order
at ``answers_by``, and whatever was taken for it meanwhile comes back — stock to the unit, the
voucher to the cent — once the silent side catches up."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conftest import Databases, ordering_town_running
from tests.support.local_stack import RunningTown, wait_ready
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    check_out,
    guest,
    open_basket,
    open_shop,
    pickup,
    put,
    step,
    town_rows,
    wait_for,
)
from tests.support.polling import wait_until
from tests.support.vouchers_client import authorize, balance, join, paid_vouchers, town_programme

STOCK = 5


@pytest.fixture(scope="module")
def impatient_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    """The catalog and vouchers have six seconds to answer an order here."""
    workdir = tmp_path_factory.mktemp("impatient-town")
    with ordering_town_running(databases, workdir, mailbox, DOWNTOWN_SAGA_ANSWER_MINUTES="0.1") as running:
        yield running


def _voucher_balance(town: RunningTown, code: str) -> int:
    answer = balance(town["vouchers"], code)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["balance_cents"])


def _catalog_stock(town: RunningTown, offer_id: str, auth: dict[str, str]) -> int:
    response = httpx.get(f"{town['catalog'].api}/offers/mine/{offer_id}", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.json()["stock"])


@pytest.mark.parametrize("silent", ["catalog", "vouchers"])
def test_an_order_whose_answer_never_comes_is_rejected_and_everything_taken_comes_back(
    impatient_town: RunningTown, silent: str
) -> None:
    town = impatient_town
    shop = open_shop(town, f"Feinkost Still {silent}", {"Olivenöl": ("15,00", STOCK)})
    programme = town_programme(town, name=f"Stadtgutschein {silent}")
    join(town, programme, shop.auth)
    ((_, code),) = paid_vouchers(town, programme, 2500, email=f"{silent}@example.de")
    authorization = authorize(town["vouchers"], code, 1000)
    assert authorization.status_code == 201, authorization.text

    worker = f"{silent}-worker"
    town[silent].kill(worker)  # its answer will not come until the order has given up on it
    try:
        basket = open_basket(town)
        assert put(town, basket, shop.offers["Olivenöl"], 2).status_code == 200
        choice = pickup(voucher_authorization_id=authorization.json()["authorization_id"], voucher_cents=1000)
        placed = check_out(town, basket, {shop.merchant_id: choice})
        assert placed.status_code == 201, placed.text
        (order,) = placed.json()["orders"]
        customer = guest(placed.json()["order_link_token"])
        assert step(town, shop, order["order_id"], "accept").status_code == 200

        ended = wait_for(town, order["order_id"], customer, status="rejected", seconds=60)
        assert ended["rejection_reason"] == "timed_out"
        missing = "the catalog's reservation" if silent == "catalog" else "vouchers' payment"
        (rejection,) = town_rows(
            town,
            "SELECT data->>'detail' AS detail FROM events "
            "WHERE stream_id = %s AND event_type = 'downtown.ordering.OrderRejected'",
            (order["order_id"],),
        )
        assert rejection["detail"].startswith(missing), rejection
    finally:
        town[silent].launch(worker)
    wait_ready(town[silent])

    # The silent side catches up: it answers the order, then gives back what it took on the rejection.
    wait_until(lambda: _voucher_balance(town, code) == 2500, seconds=60, what="the voucher whole again")
    wait_until(
        lambda: _catalog_stock(town, shop.offers["Olivenöl"], shop.auth) == STOCK,
        seconds=60,
        what="the catalog's stock whole again",
    )
    answered = town_rows(
        town,
        "SELECT count(*) AS n FROM events WHERE stream_id = %s AND event_type IN "
        "('downtown.ordering.OrderStockReserved', 'downtown.ordering.OrderVoucherRedeemed', "
        "'downtown.ordering.OrderConfirmed')",
        (order["order_id"],),
    )
    assert answered[0]["n"] <= 1  # a late answer changed nothing: the order was never confirmed
    assert order_status(town, order["order_id"], customer) == "rejected"


def order_status(town: RunningTown, order_id: str, headers: dict[str, str]) -> str:
    response = httpx.get(f"{town['ordering'].api}/orders/{order_id}", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])
