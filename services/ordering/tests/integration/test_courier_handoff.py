# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering hands courier orders to dispatch and follows dispatch to the end, on the real
broker and databases (catalog, vouchers and ordering running; dispatch played by the test,
which publishes its terms and its news on ``<town>.dispatch.events`` as dispatch would).

A checkout of two shops delivered on dispatch's terms: each order, confirmed, is handed off
(``OrderDeliveryRequested`` on ordering's topic, counting two courier orders, its drop-off
sealed so that the town's key opens it); picked up it is out for delivery, delivered it is
fulfilled (the invoice issued, as the merchant's own delivery would), and the merchant's
own delivery steps are refused. Goods brought back end an order undelivered and the stock
and the voucher part come back; dispatch's silence past the town's answer time ends one too."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from conftest import KAFKA, Databases, ordering_town_running, read_topic
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    ArrivalWindow,
    DeliveryJobDelivered,
    DeliveryJobOpened,
    DeliveryJobPickupAdded,
    DeliveryJobPlanned,
    DeliveryJobReturned,
    DeliveryOrderPickedUp,
    DeliveryTermsSet,
    DeliveryZoneTerms,
    FeeRuleTerms,
    SlotTerms,
)
from downtown_events.envelope import CloudEvent
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DROP_OFF_SEAL_PURPOSE, DeliveryDropOff, OrderDeliveryRequested
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.runtime.sealing import sealing_key, unseal
from downtown_events.topics import events_topic
from ordering.domain.courier import RETURNED
from ordering.domain.order import DISPATCH_SILENT
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    CUSTOMER,
    Shop,
    check_out,
    delivery,
    guest,
    open_basket,
    open_shop,
    put,
    step,
    town_rows,
    wait_for,
)
from tests.support.ordering_client import order as order_view
from tests.support.polling import wait_until
from tests.support.vouchers_client import authorize, balance, join, paid_vouchers, town_programme

pytestmark = pytest.mark.integration

HANDOFF_KEY = "the courier test town's own delivery hand-off key"
STOCK = 5
COURIER = uuid4()


class Dispatch:
    """Dispatch as ordering hears it: events published on the town's dispatch topic, each
    stream's versions counted as dispatch's relay would number them."""

    def __init__(self, town: RunningTown) -> None:
        self.town = town
        self._versions: dict[str, Iterator[int]] = {}

    def publish(self, subject: UUID, *events: IntegrationEvent) -> None:
        asyncio.run(self._publish(str(subject), events))

    async def _publish(self, subject: str, events: tuple[IntegrationEvent, ...]) -> None:
        producer = reliable_producer(KAFKA, client_id="test-dispatch")
        await producer.start()
        try:
            for event in events:
                version = next(self._versions.setdefault(subject, count(1)))
                envelope = CloudEvent(
                    id=str(uuid4()),
                    source="/dispatch",
                    type=event.ce_type(),
                    subject=subject,
                    time=datetime.now(UTC),
                    town=self.town.town,
                    streamversion=version,
                    data=event.model_dump_json().encode(),
                )
                key, value, headers = envelope.to_kafka()
                await producer.send_and_wait(
                    events_topic(self.town.town, "dispatch"), value=value, key=key, headers=headers
                )
        finally:
            await producer.stop()


def terms() -> DeliveryTermsSet:
    """The town's couriers deliver to 48624 every day from eight to eight, for a flat fee."""
    return DeliveryTermsSet(
        terms_id=uuid4(),
        courier_service_id=uuid4(),
        zones=[DeliveryZoneTerms(zone_id=uuid4(), name="Schöppingen", postal_codes=["48624"])],
        fee=FeeRuleTerms(pricing="flat", cents=390),
        slots=[SlotTerms(weekday=day, starts=time(8), ends=time(20), capacity=100) for day in range(7)],
        lead_minutes=60,
    )


@pytest.fixture(scope="module")
def courier_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[tuple[RunningTown, Dispatch]]:
    """Dispatch has half a minute to take a handed-off order into a job here."""
    workdir = tmp_path_factory.mktemp("courier-town")
    with ordering_town_running(
        databases,
        workdir,
        mailbox,
        DOWNTOWN_DELIVERY_HANDOFF_KEY=HANDOFF_KEY,
        DOWNTOWN_SAGA_ANSWER_MINUTES="0.5",
    ) as town:
        dispatch = Dispatch(town)
        published = terms()
        dispatch.publish(published.terms_id, published)
        wait_until(
            lambda: bool(town_rows(town, "SELECT 1 FROM ordering_delivery_terms")),
            seconds=30,
            what="ordering hearing of dispatch's terms",
        )
        yield town, dispatch


def courier_shop(town: RunningTown, name: str, **registration: Any) -> Shop:
    return open_shop(town, name, {"Honig": ("8,00", STOCK)}, location={"lat": 52.1, "lon": 7.23}, **registration)


def requested(town: RunningTown, order_id: str) -> OrderDeliveryRequested:
    def stored() -> list[dict[str, Any]]:
        return town_rows(
            town,
            "SELECT data::text AS data FROM events WHERE stream_id = %s "
            "AND event_type = 'downtown.ordering.OrderDeliveryRequested'",
            (order_id,),
        )

    wait_until(lambda: bool(stored()), seconds=30, what=f"order {order_id} handed to dispatch")
    (row,) = stored()
    return OrderDeliveryRequested.model_validate(json.loads(row["data"]))


def published_requests(town: RunningTown, order_ids: set[str]) -> dict[str, OrderDeliveryRequested]:
    """The hand-offs of ``order_ids`` as ordering's topic carries them."""

    def requests(records: list[Any]) -> dict[str, OrderDeliveryRequested]:
        found = {}
        for record in records:
            if dict(record.headers).get("ce_type") == OrderDeliveryRequested.ce_type().encode():
                event = OrderDeliveryRequested.model_validate_json(record.value)
                found[str(event.order_id)] = event
        return {order_id: event for order_id, event in found.items() if order_id in order_ids}

    topic = events_topic(town.town, "ordering")
    records = asyncio.run(
        read_topic(KAFKA, topic, count=10**9, seconds=30, until=lambda got: set(requests(got)) == order_ids)
    )
    return requests(records)


def opened(order_id: str, checkout_id: UUID, job_id: UUID, merchant_id: str) -> list[IntegrationEvent]:
    now = datetime.now(UTC)
    return [
        DeliveryJobOpened(
            job_id=job_id,
            checkout_id=checkout_id,
            zone_id=uuid4(),
            slot=ArrivalWindow(starts_at=now, ends_at=now + timedelta(hours=2)),
            expected_orders=1,
        ),
        DeliveryJobPickupAdded(
            job_id=job_id, order_id=UUID(order_id), merchant_id=UUID(merchant_id), shop=GeoPoint(lat=52.1, lon=7.23)
        ),
    ]


def picked_up(job_id: UUID, order_id: str, merchant_id: str) -> DeliveryOrderPickedUp:
    return DeliveryOrderPickedUp(
        job_id=job_id, order_id=UUID(order_id), merchant_id=UUID(merchant_id), courier_id=COURIER, at=datetime.now(UTC)
    )


def expected(town: RunningTown, order_id: str, headers: dict[str, str]) -> tuple[datetime, datetime] | None:
    """When the customer's order view says the courier is expected at the door."""
    delivery = order_view(town, order_id, headers)["delivery"]
    if delivery is None:
        return None
    return datetime.fromisoformat(delivery["expected_from"]), datetime.fromisoformat(delivery["expected_until"])


def voucher_balance(town: RunningTown, code: str) -> int:
    answer = balance(town["vouchers"], code)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["balance_cents"])


def event_types(town: RunningTown, order_id: str) -> list[str]:
    rows = town_rows(town, "SELECT event_type FROM events WHERE stream_id = %s ORDER BY version", (order_id,))
    return [row["event_type"].removeprefix("downtown.ordering.") for row in rows]


def catalog_stock(town: RunningTown, shop: Shop) -> int:
    response = httpx.get(f"{town['catalog'].api}/offers/mine/{shop.offers['Honig']}", headers=shop.auth, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.json()["stock"])


def test_a_courier_checkout_is_handed_to_dispatch_and_follows_it_to_the_door(
    courier_town: tuple[RunningTown, Dispatch],
) -> None:
    town, dispatch = courier_town
    honey = courier_shop(town, "Imkerei Summ", tax_number="DE123456789")
    bread = courier_shop(town, "Bäckerei Krume")
    basket = open_basket(town)
    for shop in (honey, bread):
        assert put(town, basket, shop.offers["Honig"], 2).status_code == 200
    placed = check_out(
        town,
        basket,
        {honey.merchant_id: delivery(method="invoice"), bread.merchant_id: delivery()},
    )
    assert placed.status_code == 201, placed.text
    customer = guest(placed.json()["order_link_token"])
    orders = {order["merchant_id"]: order for order in placed.json()["orders"]}
    honey_order, bread_order = orders[honey.merchant_id]["order_id"], orders[bread.merchant_id]["order_id"]
    for shop, order_id in ((honey, honey_order), (bread, bread_order)):
        assert step(town, shop, order_id, "accept").status_code == 200, order_id

    handed = {order_id: requested(town, order_id) for order_id in (honey_order, bread_order)}
    assert published_requests(town, set(handed)) == handed  # published byte for byte as stored
    checkout_id = UUID(placed.json()["checkout_id"])
    for order_id, request in handed.items():
        assert (request.checkout_id, request.courier_orders, request.parcels) == (checkout_id, 2, 1)
        assert request.slot is not None and request.goods_cents == 1600
        key = sealing_key(HANDOFF_KEY.encode(), UUID(order_id), DROP_OFF_SEAL_PURPOSE)
        drop_off = DeliveryDropOff.model_validate_json(unseal(key, UUID(order_id), request.sealed_drop_off))
        assert (drop_off.name, drop_off.street, drop_off.postal_code) == (CUSTOMER["name"], "Am Markt 1", "48624")
    assert sorted(request.fee_cents for request in handed.values()) == [0, 390]  # one fee, on one order

    job_id = uuid4()
    dispatch.publish(job_id, *opened(honey_order, checkout_id, job_id, honey.merchant_id)[:1])
    for shop, order_id in ((honey, honey_order), (bread, bread_order)):
        dispatch.publish(
            job_id,
            DeliveryJobPickupAdded(
                job_id=job_id,
                order_id=UUID(order_id),
                merchant_id=UUID(shop.merchant_id),
                shop=GeoPoint(lat=52.1, lon=7.23),
            ),
        )
    slot = handed[bread_order].slot
    assert slot is not None
    arrives = ArrivalWindow(starts_at=slot.starts_at, ends_at=slot.starts_at + timedelta(minutes=30))
    plan = DeliveryJobPlanned(
        job_id=job_id, courier_id=COURIER, tour_id=uuid4(), pickup_by=slot.starts_at, arrives=arrives
    )
    dispatch.publish(job_id, plan)
    wait_until(
        lambda: expected(town, bread_order, customer) == (arrives.starts_at, arrives.ends_at),
        seconds=30,
        what="the customer seeing when the courier comes",
    )

    refused = step(town, honey, honey_order, "out-for-delivery")
    assert refused.status_code == 409, refused.text
    assert refused.json()["detail"] == "the town's couriers deliver this order; its state follows them"

    dispatch.publish(job_id, picked_up(job_id, honey_order, honey.merchant_id))
    wait_for(town, honey_order, customer, status="out_for_delivery")
    wait_for(town, bread_order, customer, status="confirmed")  # its goods are still at the bakery

    dispatch.publish(job_id, picked_up(job_id, bread_order, bread.merchant_id))
    delivered = DeliveryJobDelivered(
        job_id=job_id,
        order_ids=[UUID(honey_order), UUID(bread_order)],
        courier_id=COURIER,
        at=datetime.now(UTC),
        fee_cents=390,
    )
    dispatch.publish(job_id, delivered, delivered.model_copy(update={"at": datetime.now(UTC)}))  # told twice
    honey_done = wait_for(town, honey_order, customer, status="fulfilled")
    assert honey_done["invoice_number"]  # on invoice: issued with the delivery, as the merchant's would be
    bread_done = wait_for(town, bread_order, customer, status="fulfilled")
    assert bread_done["left_to_pay_cents"] == 1600  # cash at the door: dispatch's news names no payment
    assert bread_done["delivery"] is None  # delivered: nobody is expected any more

    assert event_types(town, honey_order).count("OrderDelivered") == 1
    assert step(town, bread, bread_order, "delivered", paid_cents=1600).status_code == 409


def test_goods_brought_back_end_the_order_and_the_stock_and_the_voucher_part_come_back(
    courier_town: tuple[RunningTown, Dispatch],
) -> None:
    town, dispatch = courier_town
    shop = courier_shop(town, "Hofladen Rückweg")
    programme = town_programme(town, name="Stadtgutschein Rückweg")
    join(town, programme, shop.auth)
    ((_, code),) = paid_vouchers(town, programme, 2500, email="rueckweg@example.de")
    authorization = authorize(town["vouchers"], code, 1000)
    assert authorization.status_code == 201, authorization.text
    basket = open_basket(town)
    assert put(town, basket, shop.offers["Honig"], 3).status_code == 200
    paying = {"voucher_authorization_id": authorization.json()["authorization_id"], "voucher_cents": 1000}
    placed = check_out(town, basket, {shop.merchant_id: delivery(**paying)})
    assert placed.status_code == 201, placed.text
    customer = guest(placed.json()["order_link_token"])
    (order,) = placed.json()["orders"]
    order_id = order["order_id"]
    assert step(town, shop, order_id, "accept").status_code == 200
    request = requested(town, order_id)
    assert request.courier_orders == 1
    wait_until(lambda: catalog_stock(town, shop) == STOCK - 3, seconds=30, what="the stock reserved")
    assert voucher_balance(town, code) == 1500

    job_id = uuid4()
    dispatch.publish(job_id, *opened(order_id, request.checkout_id, job_id, shop.merchant_id))
    dispatch.publish(job_id, picked_up(job_id, order_id, shop.merchant_id))
    wait_for(town, order_id, customer, status="out_for_delivery")
    dispatch.publish(job_id, DeliveryJobReturned(job_id=job_id, order_ids=[UUID(order_id)], at=datetime.now(UTC)))
    wait_for(town, order_id, customer, status="delivery_failed")
    wait_until(lambda: catalog_stock(town, shop) == STOCK, seconds=30, what="the stock given back")
    wait_until(lambda: voucher_balance(town, code) == 2500, seconds=30, what="the voucher part given back")
    (failed,) = town_rows(
        town,
        "SELECT data->>'detail' AS detail FROM events WHERE stream_id = %s "
        "AND event_type = 'downtown.ordering.OrderDeliveryFailed'",
        (order_id,),
    )
    assert failed["detail"] == RETURNED

    # Dispatch's late word of a delivery moves nothing back: it is recorded as a contradiction.
    late = DeliveryJobDelivered(job_id=job_id, order_ids=[UUID(order_id)], courier_id=COURIER, at=datetime.now(UTC))
    dispatch.publish(job_id, late)
    wait_until(
        lambda: "OrderAnswerContradicted" in event_types(town, order_id), seconds=30, what="the late news recorded"
    )
    wait_for(town, order_id, customer, status="delivery_failed")


def test_an_order_dispatch_never_answers_ends_undelivered(courier_town: tuple[RunningTown, Dispatch]) -> None:
    town, _ = courier_town
    shop = courier_shop(town, "Kiosk Stille")
    basket = open_basket(town)
    assert put(town, basket, shop.offers["Honig"], 1).status_code == 200
    placed = check_out(town, basket, {shop.merchant_id: delivery()})
    assert placed.status_code == 201, placed.text
    customer = guest(placed.json()["order_link_token"])
    (order,) = placed.json()["orders"]
    assert step(town, shop, order["order_id"], "accept").status_code == 200
    requested(town, order["order_id"])

    wait_for(town, order["order_id"], customer, status="delivery_failed", seconds=120)
    (failed,) = town_rows(
        town,
        "SELECT data->>'detail' AS detail FROM events WHERE stream_id = %s "
        "AND event_type = 'downtown.ordering.OrderDeliveryFailed'",
        (order["order_id"],),
    )
    assert failed["detail"] == DISPATCH_SILENT
    wait_until(lambda: catalog_stock(town, shop) == STOCK, seconds=30, what="the stock given back")
