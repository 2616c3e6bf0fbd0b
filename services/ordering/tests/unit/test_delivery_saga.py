# SPDX-License-Identifier: AGPL-3.0-or-later
"""The courier hand-off's use cases on the in-memory store: the merchant's acceptance that
confirms a courier order hands it to dispatch with a drop-off the town's key opens; dispatch's
news, read by the delivery saga, takes it to the door, where it is invoiced as the merchant's
own delivery would be; news of an order ordering does not hold (or of a stream that is no
order) decides nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import DeliveryJobDelivered, DeliveryJobPickupAdded, DeliveryJobReturned
from downtown_events.geo import GeoPoint
from downtown_events.ordering import (
    DROP_OFF_SEAL_PURPOSE,
    DeliveryDropOff,
    Fulfilment,
    InvoiceIssued,
    OrderDeliveryRequested,
    OrderLine,
    OrderPlaced,
    Payment,
    TimeSlot,
)
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import Principal
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.sealing import sealing_key, unseal
from ordering.adapters.sealing import HandoffSealer
from ordering.app.context import Context, order_of
from ordering.app.delivery_saga import delivery_saga
from ordering.app.orders import OrderHandlers
from ordering.domain import order as orders
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings
from ordering.domain.private_events import CourierOrdersCounted, DeliveryJobJoined, OrderCustomerRecorded
from tests.support.received import received as received_event

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEY = "a test town's delivery hand-off key"
SHOP = MerchantFacts(
    uuid4(),
    "Imkerei Summ",
    approved=True,
    tax_number="12/345/67890",
    tax_number_kind="steuernummer",
    address=Address(street="Kirchstraße 5", postal_code="48624", city="Schöppingen"),
)
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
_offsets = count()


class Replica:
    async def offers(self, offer_ids: Iterable[UUID]) -> dict[UUID, OfferFacts]:
        return {}

    async def merchants(self, merchant_ids: Iterable[UUID]) -> dict[UUID, MerchantFacts]:
        return {SHOP.merchant_id: SHOP} if SHOP.merchant_id in set(merchant_ids) else {}


def handlers(store: InMemoryEventStore) -> OrderHandlers:
    context = Context(store, TownSettings(timezone=BERLIN), link_key=b"k" * 32, clock=lambda: NOW, timezone=BERLIN)
    return OrderHandlers(context, Replica(), jitsi_base_url="https://meet.example", sealer=HandoffSealer(KEY))  # type: ignore[arg-type]


async def placed_courier_order(store: InMemoryEventStore) -> UUID:
    slot = TimeSlot(starts_at=NOW + timedelta(hours=4), ends_at=NOW + timedelta(hours=6))
    placed = OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=SHOP.merchant_id,
        lines=[
            OrderLine(
                offer_id=uuid4(), kind="product", title="Honig", quantity=2, unit_price_cents=800, vat_rate_percent=7
            )
        ],
        fulfilment=Fulfilment(
            method="delivery", delivery_zone="Innenstadt", delivery_fee_cents=390, delivery_slot=slot
        ),
        payment=Payment(method="invoice"),
        goods_cents=1600,
        total_cents=1990,
        merchant_answer_by=NOW + timedelta(hours=2),
        answers_by=NOW + timedelta(minutes=15),
        cancellable_until=NOW + timedelta(minutes=15),
    )
    customer = OrderCustomerRecorded(
        order_id=placed.order_id,
        checkout_id=placed.checkout_id,
        name="Anna Beispiel",
        email="anna@example.de",
        delivery_address=HOME,
        delivery_pin=GeoPoint(lat=52.1, lon=7.23),
    )
    counted = CourierOrdersCounted(order_id=placed.order_id, checkout_id=placed.checkout_id, courier_orders=1)
    history: list[IntegrationEvent] = [placed, customer, counted]
    history += orders.record_stock_reserved(orders.replay(history))
    await store.append(str(placed.order_id), 0, history)
    return placed.order_id


def received(event: IntegrationEvent, subject: UUID, version: int) -> ReceivedEvent:
    return received_event(event, subject, at=NOW, topic="testtown.dispatch.events", version=version)


def stored(store: InMemoryEventStore, order_id: UUID) -> list[IntegrationEvent]:
    return [entry.event for entry in store.streams[str(order_id)]]


async def test_the_merchants_acceptance_hands_the_order_off_and_dispatchs_news_takes_it_to_the_door() -> None:
    store = InMemoryEventStore()
    orders_handlers = handlers(store)
    order_id = await placed_courier_order(store)

    accepted = await orders_handlers.accept(Principal(role="merchant", subject=SHOP.merchant_id), order_id)
    assert accepted.delivery_requested and accepted.dispatch_answer_by == NOW + timedelta(minutes=15)
    (request,) = [event for event in stored(store, order_id) if isinstance(event, OrderDeliveryRequested)]
    opened = unseal(sealing_key(KEY.encode(), order_id, DROP_OFF_SEAL_PURPOSE), order_id, request.sealed_drop_off)
    drop_off = DeliveryDropOff.model_validate_json(opened)
    assert (drop_off.name, drop_off.street, drop_off.pin) == (
        "Anna Beispiel",
        "Hauptstraße 1",
        GeoPoint(lat=52.1, lon=7.23),
    )

    saga = delivery_saga(orders_handlers)
    job_id = uuid4()
    added = DeliveryJobPickupAdded(
        job_id=job_id, order_id=order_id, merchant_id=SHOP.merchant_id, shop=GeoPoint(lat=52.1, lon=7.2)
    )
    stranger = uuid4()
    delivered = DeliveryJobDelivered(job_id=job_id, order_ids=[order_id, stranger], courier_id=uuid4(), at=NOW)
    for version, news in enumerate((added, delivered, delivered), start=1):
        await saga.react(received(news, job_id, version), store)

    order = await order_of(store, order_id)
    assert order is not None and order.status == "fulfilled" and order.delivery_job_id == job_id
    assert sum(isinstance(event, InvoiceIssued) for event in stored(store, order_id)) == 1
    assert str(stranger) not in store.streams  # news of an order ordering does not hold decides nothing

    elsewhere = uuid4()  # a stream of something else under the id dispatch names
    await store.append(str(elsewhere), 0, [DeliveryJobJoined(order_id=elsewhere, job_id=job_id)])
    returned = DeliveryJobReturned(job_id=job_id, order_ids=[elsewhere], at=NOW)
    await saga.react(received(returned, job_id, 4), store)
    assert len(store.streams[str(elsewhere)]) == 1
