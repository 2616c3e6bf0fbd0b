# SPDX-License-Identifier: AGPL-3.0-or-later
"""The saga stays right when any process dies at any moment, and when the broker and the
database do.

While customers keep ordering — some paying part with a voucher, some on invoice — and the
merchant keeps answering, the test kills (SIGKILL: no shutdown hook runs) each of catalog,
vouchers and ordering — API and worker, one at a time, several times — and restarts them,
restarts the Kafka broker, and stops PostgreSQL as a crash would (``-m immediate``) and
starts it again. Clients retry as real ones do (the same Idempotency-Key after a lost
answer). Then: every order has ended in exactly one final state; the catalog's stock adds
up to the unit; every voucher's balance adds up to the cent; the merchant's invoice numbers
have no gap; every e-mail queued was delivered (a duplicate only as a resend of one whose
send a crash cut off, with the same Message-ID); no dead letters. It prints how many
published records came twice (at-least-once publishing, see the README for integrators).
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord

from conftest import Databases, ordering_town_running, read_topic
from downtown_events.topics import dead_letter_topic, events_topic
from tests.support.local_stack import (
    KAFKA,
    OWN_STACK,
    RunningTown,
    crash_database_server,
    restart_broker,
    wait_ready,
)
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    BILLING,
    ENDED,
    Shop,
    guest,
    open_shop,
    pickup,
    town_rows,
)
from tests.support.polling import wait_until
from tests.support.vouchers_client import authorize, balance, join, paid_vouchers, town_programme

ORDERS = 36
STOCK = 30
VOUCHER_CENTS = 5_000
VOUCHER_PART = 200
SCHEDULE = [
    "ordering-worker",
    "catalog-worker",
    "ordering-api",
    "vouchers-worker",
    "broker",
    "catalog-api",
    "database",
    "ordering-worker",
    "catalog-worker",
    "vouchers-api",
    "ordering-api",
    "vouchers-worker",
    "database",
]


@pytest.fixture(scope="module")
def crash_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    workdir = tmp_path_factory.mktemp("crash-town")
    one_client = {"DOWNTOWN_BALANCE_TRIES_PER_CLIENT": "10000", "DOWNTOWN_BALANCE_TRIES_PER_CODE": "10000"}
    with ordering_town_running(
        databases, workdir, mailbox, one_client, DOWNTOWN_MAIL_RESEND_AFTER_SECONDS="2"
    ) as running:  # every customer here is one client (a throttle per client would stop them)
        yield running


def _retrying(call: Any, *, seconds: float = 120.0) -> httpx.Response:
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


@dataclass
class Placed:
    order_id: str
    auth: dict[str, str]
    code: str | None = None
    """The voucher that pays part of it, if one does."""


@dataclass(eq=False)  # a thread is hashed by identity
class Customers(threading.Thread):
    """Places ``ORDERS`` orders of one unit each, one after another, retrying through crashes:
    every third pays part with a voucher, every third is on invoice."""

    town: RunningTown
    shop: Shop
    codes: list[str]
    orders: dict[str, Placed] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    error: BaseException | None = None

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

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
        customer: dict[str, Any] = {"name": f"Kundin {n}", "email": f"kundin{n}@example.de"}
        choice, code = pickup(), None
        if n % 3 == 1:
            code = self.codes[n % len(self.codes)]
            choice = pickup(voucher_authorization_id=self._authorize(code), voucher_cents=VOUCHER_PART)
        elif n % 3 == 2:
            choice = {**pickup(), "payment": {"method": "invoice"}}
            customer["billing_address"] = BILLING
        checkout = {"customer": customer, "merchants": {self.shop.merchant_id: choice}}
        keyed = {**headers, "Idempotency-Key": f"crash-{basket_id}"}
        placed = _retrying(
            lambda: httpx.post(f"{api}/baskets/{basket_id}/checkout", json=checkout, headers=keyed, timeout=15)
        )
        if placed.status_code in (200, 201):
            (order,) = placed.json()["orders"]
            token = placed.json()["order_link_token"]
            self.orders[order["order_id"]] = Placed(order["order_id"], guest(token) if token else self.shop.auth, code)
        else:
            self.refused.append(placed.text)  # the replica knew the stock was gone: nothing written

    def _authorize(self, code: str) -> str:
        answer = _retrying(lambda: authorize(self.town["vouchers"], code, VOUCHER_PART))
        assert answer.status_code == 201, answer.text
        return str(answer.json()["authorization_id"])


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
                for row in self._rows(api, "to_accept"):
                    httpx.post(f"{api}/orders/{row['order_id']}/accept", json={}, headers=self.shop.auth, timeout=10)
                for row in self._rows(api, "to_pack"):
                    due = row["total_cents"] - row["voucher_cents"] if row["payment_method"] == "at_pickup" else 0
                    httpx.post(
                        f"{api}/orders/{row['order_id']}/handed-over",
                        json={"paid_cents": due},
                        headers=self.shop.auth,
                        timeout=10,
                    )
            except (httpx.HTTPError, ValueError):
                pass  # the API is down right now: the merchant tries again in a moment
            time.sleep(0.3)

    def _rows(self, api: str, view: str) -> list[dict[str, Any]]:
        answer = httpx.get(f"{api}/orders", params={"view": view}, headers=self.shop.auth, timeout=10)
        return list(answer.json()) if answer.status_code == 200 else []


def _kill_and_restart(town: RunningTown, process: str) -> None:
    service = process.split("-")[0]
    instance = town[service]
    instance.kill(process)
    time.sleep(1.0)
    instance.launch(process)


def _chaos(town: RunningTown) -> None:
    for victim in SCHEDULE:
        time.sleep(2.5)
        if victim == "broker":
            restart_broker()
        elif victim == "database":
            crash_database_server()
        else:
            _kill_and_restart(town, victim)
    for service in town.services.values():
        wait_ready(service)


@pytest.mark.skipif(not OWN_STACK, reason="restarts the broker and the database: only on the stack `make test` started")
def test_every_order_ends_once_and_stock_vouchers_invoices_and_mails_add_up_through_crashes(
    crash_town: RunningTown, mailbox: Mailbox
) -> None:
    town = crash_town
    shop = open_shop(
        town, "Imkerei Summ", {"Honig": ("6,50", STOCK)}, email="imkerei@summ.example", tax_number="DE123456789"
    )
    programme = town_programme(town, name="Summ Stadtgutschein")
    join(town, programme, shop.auth)
    codes = [code for _, code in paid_vouchers(town, programme, VOUCHER_CENTS, VOUCHER_CENTS, VOUCHER_CENTS)]
    customers, merchant = Customers(town, shop, codes), Merchant(town, shop)
    customers.start()
    merchant.start()
    _chaos(town)
    customers.join(timeout=300)
    assert customers.error is None, customers.error
    assert customers.orders, "no order got through"

    def all_ended() -> bool:
        rows_ = town_rows(town, "SELECT status FROM ordering_orders WHERE merchant_id = %s", (shop.merchant_id,))
        return len(rows_) == len(customers.orders) and all(row["status"] in ENDED for row in rows_)

    wait_until(all_ended, seconds=180, every=0.5, what="every order ending")
    merchant.stop.set()
    merchant.join(timeout=30)

    _every_order_ended_once(town, customers)
    fulfilled = _fulfilled(town)
    _stock_adds_up(town, shop, len(fulfilled))
    _vouchers_add_up(town, customers, fulfilled)
    _invoice_numbers_have_no_gap(town, shop, customers, fulfilled)
    _every_mail_delivered(town, mailbox)
    assert mailbox.to("imkerei@summ.example"), "the merchant heard of no order"
    _no_dead_letters(town)
    _report_published_duplicates(town)


def _every_order_ended_once(town: RunningTown, customers: Customers) -> None:
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


def _fulfilled(town: RunningTown) -> set[str]:
    return {
        str(row["order_id"])
        for row in town_rows(town, "SELECT order_id FROM ordering_orders WHERE status = 'fulfilled'")
    }


def _stock_adds_up(town: RunningTown, shop: Shop, fulfilled: int) -> None:
    assert fulfilled <= STOCK
    catalog_stock = _catalog_stock(town, shop)
    assert catalog_stock == STOCK - fulfilled, (
        catalog_stock,
        fulfilled,
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


def _vouchers_add_up(town: RunningTown, customers: Customers, fulfilled: set[str]) -> None:
    """Each voucher holds what it was bought for minus the parts of the fulfilled orders it
    paid: what a rejected order took came back, to the cent."""
    spent = collections.Counter(
        placed.code for placed in customers.orders.values() if placed.code and placed.order_id in fulfilled
    )

    def balances() -> dict[str, int]:
        return {code: int(balance(town["vouchers"], code).json()["balance_cents"]) for code in customers.codes}

    expected = {code: VOUCHER_CENTS - VOUCHER_PART * spent[code] for code in customers.codes}
    wait_until(lambda: balances() == expected, seconds=60, what=f"voucher balances {expected}")


def _invoice_numbers_have_no_gap(town: RunningTown, shop: Shop, customers: Customers, fulfilled: set[str]) -> None:
    numbers = [
        row["number"]
        for row in town_rows(
            town,
            "SELECT data->>'invoice_number' AS number FROM events "
            "WHERE event_type = 'downtown.ordering.InvoiceIssued' AND data->>'merchant_id' = %s",
            (shop.merchant_id,),
        )
    ]
    on_invoice = [
        row["order_id"]
        for row in town_rows(
            town, "SELECT order_id::text FROM ordering_orders WHERE payment_method = 'invoice' AND status = 'fulfilled'"
        )
    ]
    sequence = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequence == list(range(1, len(on_invoice) + 1)), (numbers, len(on_invoice))


def _every_mail_delivered(town: RunningTown, mailbox: Mailbox) -> None:
    """At least once: every mail the notifier queued reached the server; a duplicate is only
    the resend of a mail whose send a crash cut off, and carries the same Message-ID."""

    def settled() -> list[dict[str, Any]]:
        outbox = town_rows(town, "SELECT message_id, status, resends FROM mail_outbox")
        return outbox if all(row["status"] in ("sent", "refused") for row in outbox) else []

    outbox = wait_until(settled, seconds=120, every=0.5, what="every queued mail sent")
    received = collections.Counter(str(message["Message-ID"]).strip("<>").split("@")[0] for message in mailbox.messages)
    missing = [row["message_id"] for row in outbox if row["status"] == "sent" and received[row["message_id"]] == 0]
    assert not missing, f"{len(missing)} mails lost: {missing}"
    resent = {row["message_id"] for row in outbox if row["resends"]}
    twice = {
        message_id for message_id, n in received.items() if n > 1 and message_id in {r["message_id"] for r in outbox}
    }
    assert twice <= resent, f"sent twice without a crash cutting the first send off: {twice - resent}"
    print(f"mails: {len(outbox)} queued, {len(resent)} resent after a cut-off send, {len(twice)} received twice")


def _all_of(topic: str, seconds: float) -> list[ConsumerRecord]:
    """Every record of ``topic`` (read from the start for ``seconds``)."""
    return asyncio.run(read_topic(KAFKA, topic, count=10**9, seconds=seconds))


def _no_dead_letters(town: RunningTown) -> None:
    for service in ("catalog", "vouchers", "ordering"):
        dead = _all_of(dead_letter_topic(town.town, service), seconds=3)
        assert dead == [], f"{service} dead-lettered {len(dead)}: {[dict(r.headers).get('dlq_reason') for r in dead]}"


def _report_published_duplicates(town: RunningTown) -> None:
    """At-least-once publishing: a record the relay sent before a crash cut off its
    acknowledgement is sent again (same ``ce_id``, same stream version). Not asserted: counted."""
    records = _all_of(events_topic(town.town, "ordering"), seconds=10)
    ids = collections.Counter(dict(record.headers)["ce_id"] for record in records)
    again = sum(n - 1 for n in ids.values() if n > 1)
    print(f"published: {len(records)} records on the ordering topic, {again} of them a second time")


def _catalog_stock(town: RunningTown, shop: Shop) -> int:
    """The catalog's own word: its write side, over its API."""
    response = httpx.get(f"{town['catalog'].api}/offers/mine/{shop.offers['Honig']}", headers=shop.auth, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.json()["stock"])
