# SPDX-License-Identifier: AGPL-3.0-or-later
"""The order saga end to end: catalog, vouchers and ordering as separate processes on the real
broker and database, agreeing on each order only through Kafka."""

from __future__ import annotations

import concurrent.futures
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    EVERY_DAY,
    Shop,
    check_out,
    delivery,
    guest,
    key,
    list_service,
    open_basket,
    open_shop,
    pickup,
    put,
    step,
    town_rows,
    town_time,
    wait_for,
)
from tests.support.polling import wait_until


def _order_of(
    town: RunningTown, shop: Shop, quantities: dict[str, int], choice: dict[str, Any], email: str
) -> dict[str, Any]:
    basket = open_basket(town)
    for title, quantity in quantities.items():
        response = put(town, basket, shop.offers[title], quantity)
        assert response.status_code == 200, response.text
    customer = {"name": "Anna Beispiel", "email": email, "language": "de"}
    placed = check_out(town, basket, {shop.merchant_id: choice}, customer=customer)
    assert placed.status_code == 201, placed.text
    body: dict[str, Any] = placed.json()
    return body


def _stock(town: RunningTown, offer_id: str) -> int:
    rows = town_rows(town, "SELECT stock FROM ordering_offers WHERE offer_id = %s", (offer_id,))
    return int(rows[0]["stock"])


def test_a_picked_up_order_is_reserved_accepted_confirmed_handed_over_and_paid_at_the_shop(
    ordering_town: RunningTown, mailbox: Mailbox
) -> None:
    town = ordering_town
    shop = open_shop(town, "Hofladen Schulze", {"Kürbis": ("3,50", 5)}, email="hof@schulze.example")
    placed = _order_of(town, shop, {"Kürbis": 2}, pickup(), "pickup@example.de")
    (first,) = placed["orders"]
    customer = guest(placed["order_link_token"])
    assert placed["total_cents"] == 700 and first["status"] == "placed"

    wait_for(town, first["order_id"], customer, stock_reserved=True)
    assert step(town, shop, first["order_id"], "accept").status_code == 200
    wait_for(town, first["order_id"], customer, status="confirmed")
    assert step(town, shop, first["order_id"], "ready").json()["status"] == "ready_for_pickup"
    handed = step(town, shop, first["order_id"], "handed-over", paid_cents=700)
    assert handed.status_code == 200, handed.text
    assert handed.json()["status"] == "fulfilled"
    wait_until(lambda: _stock(town, shop.offers["Kürbis"]) == 3, what="the catalog's stock going down by 2")

    wait_until(lambda: mailbox.to("hof@schulze.example"), what="the merchant's new-order mail")
    wait_until(
        lambda: len(mailbox.to("pickup@example.de")) >= 3, what="the customer's mails (placed, confirmed, ready)"
    )
    again = step(town, shop, first["order_id"], "handed-over", paid_cents=700)
    assert again.status_code in (200, 422)  # handing over twice changes nothing
    assert order_status(town, first["order_id"], customer) == "fulfilled"


def order_status(town: RunningTown, order_id: str, headers: dict[str, str]) -> str:
    response = httpx.get(f"{town['ordering'].api}/orders/{order_id}", headers=headers)
    return str(response.json()["status"])


def test_a_delivered_order_goes_out_and_is_delivered(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Bäckerei Krume", {"Brot": ("4,20", 10)})
    placed = _order_of(town, shop, {"Brot": 1}, delivery(), "delivery@example.de")
    (order,) = placed["orders"]
    customer = guest(placed["order_link_token"])
    assert order["delivery_fee_cents"] > 0 and order["total_cents"] == 420 + order["delivery_fee_cents"]

    assert step(town, shop, order["order_id"], "accept").status_code == 200
    wait_for(town, order["order_id"], customer, status="confirmed")
    assert step(town, shop, order["order_id"], "packed").status_code == 200
    assert step(town, shop, order["order_id"], "out-for-delivery").json()["status"] == "out_for_delivery"
    delivered = step(town, shop, order["order_id"], "delivered", paid_cents=order["total_cents"])
    assert delivered.json()["status"] == "fulfilled", delivered.text


def test_the_last_unit_goes_to_one_of_two_customers_and_the_other_order_is_rejected_out_of_stock(
    ordering_town: RunningTown,
) -> None:
    town = ordering_town
    shop = open_shop(town, "Antiquariat Eselsohr", {"Erstausgabe": ("90,00", 1)})
    baskets = [open_basket(town) for _ in range(2)]
    for basket in baskets:
        assert put(town, basket, shop.offers["Erstausgabe"]).status_code == 200
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda basket: check_out(town, basket, {shop.merchant_id: pickup()}), baskets))
    placed = [answer.json() for answer in answers if answer.status_code == 201]
    assert len(placed) == 2, [answer.text for answer in answers]  # the replica said 1 left to both

    finals = []
    for checkout in placed:
        (order,) = checkout["orders"]
        customer = guest(checkout["order_link_token"])
        wait_until(
            lambda order=order, customer=customer: (
                httpx.get(f"{town['ordering'].api}/orders/{order['order_id']}", headers=customer).json()[
                    "stock_reserved"
                ]
                or order_status(town, order["order_id"], customer) == "rejected"
            ),
            what="the catalog's answer",
        )
        finals.append(httpx.get(f"{town['ordering'].api}/orders/{order['order_id']}", headers=customer).json())
    assert sorted(bool(final["stock_reserved"]) for final in finals) == [False, True]
    rejected = next(final for final in finals if not final["stock_reserved"])
    assert rejected["status"] == "rejected" and rejected["rejection_reason"] == "out_of_stock"
    assert _stock(town, shop.offers["Erstausgabe"]) == 0


def test_a_declined_order_is_rejected_and_its_stock_released(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Blumen Rosa", {"Strauß": ("25,00", 4)})
    placed = _order_of(town, shop, {"Strauß": 3}, pickup(), "declined@example.de")
    (order,) = placed["orders"]
    customer = guest(placed["order_link_token"])
    wait_for(town, order["order_id"], customer, stock_reserved=True)
    wait_until(lambda: _stock(town, shop.offers["Strauß"]) == 1, what="the reservation taking 3")

    declined = step(town, shop, order["order_id"], "decline", reason="Heute leider ausverkauft")
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "rejected" and declined.json()["rejection_reason"] == "declined"
    wait_until(lambda: _stock(town, shop.offers["Strauß"]) == 4, what="the stock coming back")
    late_accept = step(town, shop, order["order_id"], "accept")
    assert late_accept.status_code == 422  # never backwards
    assert order_status(town, order["order_id"], customer) == "rejected"


def test_the_customer_cancels_within_the_grace_period_and_the_stock_comes_back(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Kaffeerösterei Bohne", {"Espresso 250 g": ("7,90", 6)})
    placed = _order_of(town, shop, {"Espresso 250 g": 2}, pickup(), "cancel@example.de")
    (order,) = placed["orders"]
    customer = guest(placed["order_link_token"])
    wait_for(town, order["order_id"], customer, stock_reserved=True)

    cancelled = httpx.post(
        f"{town['ordering'].api}/orders/{order['order_id']}/cancel", json={"reason": "doch nicht"}, headers=customer
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    wait_until(lambda: _stock(town, shop.offers["Espresso 250 g"]) == 6, what="the stock coming back")
    stranger = httpx.post(f"{town['ordering'].api}/orders/{order['order_id']}/cancel", json={}, headers=guest("x" * 43))
    assert stranger.status_code == 404


def test_a_merchant_enters_an_order_for_a_customer_who_phoned(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = open_shop(town, "Eisenwaren Nagel", {"Schrauben 100 Stück": ("3,20", 50)})
    body = {
        "merchant_id": shop.merchant_id,
        "lines": [{"offer_id": shop.offers["Schrauben 100 Stück"], "quantity": 3}],
        "customer": {"name": "Herr Alt", "phone": "+49 2555 99 88"},
        "choice": pickup(),
    }
    headers = {**shop.auth, **key()}
    entered = httpx.post(f"{town['ordering'].api}/assisted-orders", json=body, headers=headers)
    assert entered.status_code == 201, entered.text
    (order,) = entered.json()["orders"]
    assert order["placed_by"] == "merchant" and entered.json()["order_link_token"] is None
    replay = httpx.post(f"{town['ordering'].api}/assisted-orders", json=body, headers=headers)
    assert replay.status_code == 200 and replay.json()["orders"][0]["order_id"] == order["order_id"]
    reused = httpx.post(
        f"{town['ordering'].api}/assisted-orders",
        json={**body, "lines": [{**body["lines"][0], "quantity": 4}]},
        headers=headers,
    )
    assert reused.status_code == 422, reused.text

    assert step(town, shop, order["order_id"], "accept").status_code == 200
    wait_for(town, order["order_id"], shop.auth, status="confirmed")
    inbox = httpx.get(f"{town['ordering'].api}/orders", params={"view": "to_pack"}, headers=shop.auth)
    assert [row["order_id"] for row in inbox.json()] == [order["order_id"]]


def test_two_customers_never_hold_the_same_slot(ordering_town: RunningTown) -> None:
    """Two baskets put the same time in at once: exactly one holds it, the other is told of
    the clash (409) before checkout; the holder's order is booked by the catalog."""
    town = ordering_town
    shop = open_shop(town, "Fahrrad Speiche", {})
    service = list_service(town, shop, "Videoberatung E-Bike", "20,00", 30, EVERY_DAY)
    wait_until(
        lambda: town_rows(town, "SELECT 1 FROM ordering_offers WHERE offer_id = %s", (service,)),
        what="ordering hearing of the service",
    )
    tomorrow = town_time(2, 11)
    slot = {"starts_at": tomorrow.isoformat(), "ends_at": (tomorrow + timedelta(minutes=30)).isoformat()}
    baskets = [open_basket(town) for _ in range(2)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda basket: put(town, basket, service, 1, slot), baskets))
    assert sorted(answer.status_code for answer in answers) == [200, 409], [answer.text for answer in answers]
    refused = next(answer for answer in answers if answer.status_code == 409)
    assert refused.json()["clash"] == "held" and refused.json()["offer_id"] == service
    holder = baskets[[answer.status_code for answer in answers].index(200)]
    choice = {"fulfilment": {"method": "pickup"}, "payment": {"method": "at_pickup"}}
    placed = check_out(town, holder, {shop.merchant_id: choice})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["orders"][0]["order_id"]
    wait_for(town, order_id, guest(placed.json()["order_link_token"]), stock_reserved=True)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ({"offer_id": "00000000-0000-4000-8000-000000000000", "quantity": 1}, "unknown offer"),
        ({"quantity": 0}, "quantity 0"),
        ({"quantity": 1_000_000_000}, "quantity 10^9"),
        (
            {"quantity": 1, "slot": {"starts_at": "2020-01-01T10:00:00Z", "ends_at": "2020-01-01T10:30:00Z"}},
            "a slot for a product",
        ),
    ],
)
def test_bad_lines_are_refused_with_a_reason_and_nothing_is_written(
    ordering_town: RunningTown, line: dict[str, Any], why: str
) -> None:
    town = ordering_town
    shop = _shared_shop(town)
    basket = open_basket(town)
    body = {"offer_id": shop.offers["Apfelsaft"], **line}
    answer = httpx.post(f"{town['ordering'].api}/baskets/{basket.basket_id}/lines", json=body, headers=basket.headers)
    assert 400 <= answer.status_code < 500, (why, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["detail"]
    after = httpx.get(f"{town['ordering'].api}/baskets/{basket.basket_id}", headers=basket.headers).json()
    assert after["lines"] == []


def test_bad_checkouts_are_refused_and_write_nothing(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop = _shared_shop(town)
    basket = open_basket(town)
    assert put(town, basket, shop.offers["Apfelsaft"], 2).status_code == 200
    past = pickup(days_from_now=-1)
    refused = check_out(town, basket, {shop.merchant_id: past})
    assert refused.status_code == 422, refused.text
    no_invoice_address = check_out(town, basket, {shop.merchant_id: {**pickup(), "payment": {"method": "invoice"}}})
    assert no_invoice_address.status_code == 422, no_invoice_address.text

    same_key = f"checkout-key-{basket.basket_id}"
    choice = pickup(days_from_now=2)
    first = check_out(town, basket, {shop.merchant_id: choice}, idempotency_key=same_key)
    assert first.status_code == 201, first.text
    replay = check_out(town, basket, {shop.merchant_id: choice}, idempotency_key=same_key)
    assert replay.status_code == 200, replay.text
    assert replay.json()["checkout_id"] == first.json()["checkout_id"] and replay.json()["order_link_token"] is None
    other_body = check_out(town, basket, {shop.merchant_id: delivery()}, idempotency_key=same_key)
    assert other_body.status_code == 422, other_body.text
    other_key = check_out(town, basket, {shop.merchant_id: choice}, idempotency_key=f"other-key-{basket.basket_id}")
    assert other_key.status_code == 409, other_key.text
    orders_of_basket = town_rows(
        town,
        "SELECT count(*) AS n FROM events WHERE event_type = 'downtown.ordering.OrderPlaced' "
        "AND data->>'checkout_id' = %s",
        (first.json()["checkout_id"],),
    )
    assert orders_of_basket[0]["n"] == 1  # the refused attempts wrote no order


_SHOPS: dict[str, Shop] = {}


def _shared_shop(town: RunningTown) -> Shop:
    if town.town not in _SHOPS:
        _SHOPS[town.town] = open_shop(town, "Mosterei Apfelbaum", {"Apfelsaft": ("2,50", 1000)})
    return _SHOPS[town.town]
