"""The saga stays right when any process dies at any moment.

While customers keep ordering and the merchant keeps answering, the test kills (SIGKILL: no
shutdown hook runs) each of catalog, vouchers and ordering — API and worker, one at a time,
several times — and restarts them, and restarts the Kafka broker too. Clients retry as real
ones do (the same Idempotency-Key after a lost answer). Then every order has ended in
exactly one final state, the catalog's stock adds up to the unit, no event was applied twice
(the stock would be off), and no e-mail was sent twice.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conftest import Databases, start_ordering_town
from tests.support.local_stack import OWN_STACK, RunningTown, restart_broker, wait_ready
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    ENDED,
    Shop,
    guest,
    open_shop,
    pickup,
    town_rows,
    wait_until,
)

ORDERS = 36
STOCK = 30


@pytest.fixture(scope="module")
def crash_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    running = start_ordering_town(databases, tmp_path_factory.mktemp("crash-town"), mailbox)
    try:
        yield running
    finally:
        running.stop()


def _retrying(call: Any, *, seconds: float = 90.0) -> httpx.Response:
    """What a client does while a process is down: try again (same request, same key)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            response: httpx.Response = call()
            if (response.status_code < 500 and response.status_code != 409) or time.monotonic() > deadline:
                return response
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


class Customers(threading.Thread):
    """Places ``ORDERS`` orders of one unit each, one after another, retrying through crashes."""

    def __init__(self, town: RunningTown, shop: Shop) -> None:
        super().__init__(daemon=True)
        self.town, self.shop = town, shop
        self.orders: dict[str, dict[str, str]] = {}
        self.refused: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            for n in range(ORDERS):
                self._place(n)
        except BaseException as error:  # reported by the test
            self.error = error

    def _place(self, n: int) -> None:
        api = self.town["ordering"].api
        body = _retrying(lambda: httpx.post(f"{api}/baskets", timeout=10)).json()
        basket_id, headers = body["basket"]["basket_id"], {"Basket-Token": body["access_token"]}
        line = {"offer_id": self.shop.offers["Honig"], "quantity": 1}
        _retrying(lambda: httpx.post(f"{api}/baskets/{basket_id}/lines", json=line, headers=headers, timeout=10))
        checkout = {
            "customer": {"name": f"Kundin {n}", "email": f"kundin{n}@example.de"},
            "merchants": {self.shop.merchant_id: pickup()},
        }
        keyed = {**headers, "Idempotency-Key": f"crash-{basket_id}"}
        placed = _retrying(
            lambda: httpx.post(f"{api}/baskets/{basket_id}/checkout", json=checkout, headers=keyed, timeout=15)
        )
        if placed.status_code in (200, 201):
            (order,) = placed.json()["orders"]
            token = placed.json()["order_link_token"]
            self.orders[order["order_id"]] = guest(token) if token else self.shop.auth
        else:
            self.refused.append(placed.text)  # the replica knew the stock was gone: nothing written


class Merchant(threading.Thread):
    """Accepts what waits, and hands over what is confirmed, until told to stop."""

    def __init__(self, town: RunningTown, shop: Shop) -> None:
        super().__init__(daemon=True)
        self.town, self.shop = town, shop
        self.stop = threading.Event()

    def run(self) -> None:
        api = self.town["ordering"].api
        while not self.stop.is_set():
            try:
                for view, action, body in (
                    ("to_accept", "accept", {}),
                    ("to_pack", "handed-over", None),
                ):
                    rows = httpx.get(f"{api}/orders", params={"view": view}, headers=self.shop.auth, timeout=10)
                    for row in rows.json() if rows.status_code == 200 else []:
                        payload = body if body is not None else {"paid_cents": row["total_cents"]}
                        httpx.post(
                            f"{api}/orders/{row['order_id']}/{action}", json=payload, headers=self.shop.auth, timeout=10
                        )
            except (httpx.HTTPError, ValueError):
                pass  # the API is down right now: the merchant tries again in a moment
            time.sleep(0.3)


def _kill_and_restart(town: RunningTown, process: str) -> None:
    service = process.split("-")[0]
    instance = town[service]
    instance.kill(process)
    time.sleep(1.0)
    instance.launch(process)


@pytest.mark.skipif(not OWN_STACK, reason="restarts the broker: only against the local stack `make test` starts")
def test_every_order_ends_once_and_stock_and_mails_add_up_through_kills_and_a_broker_restart(
    crash_town: RunningTown, mailbox: Mailbox
) -> None:
    town = crash_town
    shop = open_shop(town, "Imkerei Summ", {"Honig": ("6,50", STOCK)}, email="imkerei@summ.example")
    customers, merchant = Customers(town, shop), Merchant(town, shop)
    customers.start()
    merchant.start()

    schedule = [
        "ordering-worker",
        "catalog-worker",
        "ordering-api",
        "vouchers-worker",
        "broker",
        "catalog-api",
        "ordering-worker",
        "catalog-worker",
        "vouchers-api",
        "ordering-api",
    ]
    for victim in schedule:
        time.sleep(2.5)
        if victim == "broker":
            restart_broker()
        else:
            _kill_and_restart(town, victim)
    for service in town.services.values():
        wait_ready(service)
    customers.join(timeout=300)
    assert customers.error is None, customers.error
    assert customers.orders, "no order got through"

    def all_ended() -> bool:
        rows = town_rows(town, "SELECT status FROM ordering_orders WHERE merchant_id = %s", (shop.merchant_id,))
        return len(rows) == len(customers.orders) and all(row["status"] in ENDED for row in rows)

    wait_until(all_ended, seconds=180, every=0.5, what="every order ending")
    merchant.stop.set()
    merchant.join(timeout=30)

    endings = town_rows(
        town,
        "SELECT stream_id, count(*) AS n FROM events WHERE event_type IN ("
        "'downtown.ordering.OrderFulfilled', 'downtown.ordering.OrderRejected', 'downtown.ordering.OrderCancelled', "
        "'downtown.ordering.OrderDeliveryFailed') GROUP BY stream_id",
    )
    assert {row["stream_id"] for row in endings} == set(customers.orders)
    assert all(row["n"] == 1 for row in endings), endings
    confirmed = town_rows(
        town,
        "SELECT stream_id, count(*) AS n FROM events WHERE event_type = 'downtown.ordering.OrderConfirmed' GROUP BY 1",
    )
    assert all(row["n"] == 1 for row in confirmed)

    fulfilled = [
        row for row in town_rows(town, "SELECT order_id, status FROM ordering_orders") if row["status"] == "fulfilled"
    ]
    assert len(fulfilled) <= STOCK
    catalog_stock = _catalog_stock(town, shop)
    assert catalog_stock == STOCK - len(fulfilled), (
        catalog_stock,
        len(fulfilled),
        collections.Counter(row["status"] for row in town_rows(town, "SELECT status FROM ordering_orders")),
    )
    wait_until(
        lambda: (
            town_rows(town, "SELECT stock FROM ordering_offers WHERE offer_id = %s", (shop.offers["Honig"],))[0][
                "stock"
            ]
            == catalog_stock
        ),
        what="ordering's replica agreeing with the catalog",
    )

    mail_ids = [message["Message-ID"] for message in mailbox.messages]
    duplicates = [mail_id for mail_id, n in collections.Counter(mail_ids).items() if n > 1]
    assert not duplicates, duplicates
    assert mailbox.to("imkerei@summ.example"), "the merchant heard of no order"


def _catalog_stock(town: RunningTown, shop: Shop) -> int:
    """The catalog's own word: its write side, over its API."""
    response = httpx.get(f"{town['catalog'].api}/offers/mine/{shop.offers['Honig']}", headers=shop.auth, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.json()["stock"])
