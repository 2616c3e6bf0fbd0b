# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the order API shows of an order: a video consultation's meeting link by its line, how
each service is held, by when the shop answers, and who ordered only when the caller is the
order's merchant (the routes ask ``OrderHandlers.shows_customer``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from downtown_events.catalog import Address
from downtown_events.ordering import Fulfilment, OrderConfirmed, OrderLine, OrderPlaced, Payment, ServiceHeld, TimeSlot
from downtown_events.runtime.principal import Principal
from ordering.api.schemas import OrderOut
from ordering.app.orders import OrderHandlers
from ordering.domain import order as orders
from ordering.domain.order import Order
from ordering.domain.private_events import MeetingLinkAssigned, OrderCustomerRecorded

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MORNING = TimeSlot(starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, minutes=30))
AFTERNOON = TimeSlot(starts_at=NOW + timedelta(days=1, hours=5), ends_at=NOW + timedelta(days=1, hours=5, minutes=30))
VIDEO: ServiceHeld = "video"
IN_PERSON: ServiceHeld = "in_person"
HOME = Address(street="Kirchstraße 4", postal_code="48624", city="Schöppingen")


def booked() -> Order:
    """One consultation by video in the morning, the same offer in person in the afternoon."""
    offer_id, order_id, merchant_id = uuid4(), uuid4(), uuid4()
    lines = [
        OrderLine(
            offer_id=offer_id,
            kind="service",
            title="Beratung",
            quantity=1,
            unit_price_cents=3500,
            vat_rate_percent=19,
            slot=slot,
            held=held,
        )
        for slot, held in ((MORNING, VIDEO), (AFTERNOON, IN_PERSON))
    ]
    placed = OrderPlaced(
        order_id=order_id,
        checkout_id=uuid4(),
        merchant_id=merchant_id,
        lines=lines,
        fulfilment=Fulfilment(method="delivery", delivery_zone="48624"),
        payment=Payment(method="cash_at_door"),
        goods_cents=7000,
        total_cents=7000,
        merchant_answer_by=NOW + timedelta(hours=25),
        cancellable_until=NOW + timedelta(minutes=30),
    )
    customer = OrderCustomerRecorded(
        order_id=order_id,
        checkout_id=placed.checkout_id,
        name="Sophie Sonntag",
        email="sophie@example.de",
        phone="02555 98765",
        delivery_address=HOME,
        delivery_note="Hinterhaus",
    )
    link = MeetingLinkAssigned(order_id=order_id, offer_id=offer_id, slot=MORNING, url="https://meet.example/abc123xyz")
    confirmed = OrderConfirmed(order_id=order_id, merchant_id=merchant_id)
    return orders.ensure_exists(orders.replay([placed, customer, confirmed, link]))


def test_the_meeting_link_is_shown_on_its_line_and_only_there() -> None:
    shown = OrderOut.of(booked())
    assert [(line.held, line.meeting_url) for line in shown.lines] == [
        ("video", "https://meet.example/abc123xyz"),
        ("in_person", None),
    ]
    assert shown.answer_by == NOW + timedelta(hours=25)


def test_who_ordered_is_shown_to_the_orders_merchant_alone() -> None:
    order = booked()
    assert OrderOut.of(order).customer is None
    customer = OrderOut.of(order, customer=True).customer
    assert customer is not None
    assert (customer.name, customer.phone, customer.delivery_note) == ("Sophie Sonntag", "02555 98765", "Hinterhaus")
    assert customer.delivery_address is not None and customer.delivery_address.street == "Kirchstraße 4"

    assert OrderHandlers.shows_customer(order, Principal(role="merchant", subject=order.merchant_id))
    assert OrderHandlers.shows_customer(order, Principal(role="association"))
    assert not OrderHandlers.shows_customer(order, Principal(role="merchant", subject=uuid4()))
    assert not OrderHandlers.shows_customer(order, Principal(role="customer", subject=uuid4()))
    assert not OrderHandlers.shows_customer(order, None)
