# SPDX-License-Identifier: Apache-2.0
"""Events of the ordering service: orders and their life cycle (the order saga).

Published on ``<town>.ordering.events``, keyed by ``order_id``. A checkout splits one basket
into one order per merchant, linked by ``checkout_id``. Money is integer cents (EUR).

What integrators never see: the customer's name, e-mail, phone and full address (the
service keeps them in private events). The order saga, by choreography:

1. ``OrderPlaced`` → the catalog reserves the stock or the service slots of all its lines,
   or none (``OrderReservationMade`` / ``OrderReservationRefused`` on the catalog's topic);
   when a voucher pays part, vouchers redeems it (``VoucherRedeemed`` with the order id) or
   refuses (``VoucherPaymentRefused``);
2. the merchant accepts (``OrderAccepted``), declines, or does not answer in time;
3. everyone agreed → ``OrderConfirmed``; any refusal, or an answer still missing at
   ``answers_by`` (the merchant's at ``merchant_answer_by``) → ``OrderRejected`` with the
   reason, and the others compensate (stock released, redemption reversed); a redemption the
   order cannot take is handed back with ``OrderVoucherRedemptionReturned``;
4. ``OrderReadyForPickup`` → ``OrderHandedOver`` (paid at the shop), or
   ``OrderOutForDelivery`` → ``OrderDelivered`` or ``OrderDeliveryFailed`` → ``OrderFulfilled``.

The customer may cancel within the grace period and until the merchant has packed
(``OrderCancelled``); compensation follows as for a rejection. An order paid on invoice gets
``InvoiceIssued`` with the merchant's next invoice number, without gaps. An issued invoice
never changes: ``InvoiceCancelled`` (a Stornorechnung) takes the next number of the same
sequence and cancels it; a correction is a cancellation and a new ``InvoiceIssued``. What
the merchant received besides the voucher part and the money taken at the shop or the door
(a bank transfer for an invoice, a payment in advance, part payments) is ``OrderPaymentRecorded``.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from downtown_events.contract import IntegrationEvent, ValueObject, registry
from downtown_events.geo import GeoPoint
from downtown_events.text import EventLine

Cents = int
OfferKind = Literal["product", "service"]
FulfilmentMethod = Literal["delivery", "pickup"]
PaymentMethod = Literal["invoice", "at_pickup", "cash_at_door", "card_at_door", "voucher"]
"""How the part not paid by voucher is paid (``voucher``: nothing is left to pay)."""
PlacedBy = Literal["customer", "merchant", "association"]
"""``merchant``/``association``: an assisted order for a customer who phoned."""
RejectionReason = Literal[
    "out_of_stock",
    "slot_taken",
    "offer_unavailable",
    "voucher_refused",
    "declined",
    "timed_out",
    "merchant_unavailable",
]
Canceller = Literal["customer", "merchant", "association"]
DeliverySlotKind = Literal["standard", "town_round"]
"""A town delivery slot's kind (dispatch's ``SlotKind``): a town round may share a standard slot's times."""
ServiceHeld = Literal["in_person", "video"]
"""How a booked service is held (the catalog's ``Held`` of the offer, at checkout)."""


class OrderingEvent(IntegrationEvent):
    service: ClassVar[str] = "ordering"


class TimeSlot(ValueObject):
    """A time a service is booked for, or a pickup window."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeSlot:
        # As instants: two datetimes in one ZoneInfo compare by their wall clock, and in the
        # autumn night 02:30+02:00 and 02:30+01:00, an hour apart, read alike.
        if self.starts_at.astimezone(UTC) >= self.ends_at.astimezone(UTC):
            raise ValueError("a time slot must end after it starts")
        return self


class OrderLine(ValueObject):
    """One offer of the order, at the price the customer agreed to at checkout."""

    offer_id: UUID
    kind: OfferKind
    title: EventLine = Field(min_length=1, max_length=120)
    quantity: int = Field(ge=1, le=999)
    unit_price_cents: Cents = Field(ge=0)
    vat_rate_percent: int = Field(ge=0, le=100, description="the rate the price includes (19 or 7 in Germany)")
    slot: TimeSlot | None = Field(default=None, description="the booked time of a service")
    held: ServiceHeld | None = Field(
        default=None,
        description="how a booked service is held: in person, or by video (a video consultation: its meeting "
        "link comes with the confirmation, nothing is picked up); null for a product, and in orders placed "
        "before ordering recorded it",
    )

    @property
    def gross_cents(self) -> int:
        return self.quantity * self.unit_price_cents


class Fulfilment(ValueObject):
    """Delivery by a local courier (the fee and zone from the town's settings), or pickup in
    front of the shop in a window the customer chose. The full delivery address is private."""

    method: FulfilmentMethod
    pickup_window: TimeSlot | None = None
    delivery_zone: EventLine | None = Field(default=None, max_length=60, description="e.g. the postal code")
    delivery_fee_cents: Cents = Field(default=0, ge=0)
    delivery_slot: TimeSlot | None = Field(default=None, description="the town's delivery slot the customer chose")
    delivery_slot_kind: DeliverySlotKind | None = Field(
        default=None, description="the chosen slot's kind: a town round (usually cheaper) or a standard slot"
    )


class Payment(ValueObject):
    """A voucher may pay all or part (``voucher_cents``, authorised at vouchers first); the
    rest is paid by ``method``."""

    method: PaymentMethod
    voucher_authorization_id: UUID | None = None
    voucher_cents: Cents = Field(default=0, ge=0)


@registry.register
class OrderPlaced(OrderingEvent):
    event_name: ClassVar[str] = "OrderPlaced"
    schema_version: ClassVar[int] = 1
    order_id: UUID
    checkout_id: UUID
    merchant_id: UUID
    lines: list[OrderLine] = Field(min_length=1, max_length=100)
    fulfilment: Fulfilment
    payment: Payment
    goods_cents: Cents = Field(ge=0)
    total_cents: Cents = Field(ge=0, description="goods plus the delivery fee")
    placed_by: PlacedBy = "customer"
    merchant_answer_by: AwareDatetime = Field(
        description="by then the merchant accepts, else the order is rejected (timed_out): the town's answer time "
        "counted in the shop's opening hours from placement (orders placed before that: in plain time)"
    )
    cancellable_until: AwareDatetime
    answers_by: AwareDatetime | None = Field(
        default=None,
        description="by then the catalog's reservation and vouchers' payment must have arrived, else the order "
        "is rejected (timed_out) and what was taken for it given back; absent in orders placed before it existed "
        "(for them the merchant's answer time counts)",
    )


class OrderEvent(OrderingEvent):
    order_id: UUID
    merchant_id: UUID


@registry.register
class OrderStockReserved(OrderEvent):
    """The catalog reserved the stock or the slots of every line (its ``OrderReservationMade``)."""

    event_name: ClassVar[str] = "OrderStockReserved"
    schema_version: ClassVar[int] = 1


@registry.register
class OrderVoucherRedeemed(OrderEvent):
    """Vouchers took the voucher part of the payment (its ``VoucherRedeemed`` for this order)."""

    event_name: ClassVar[str] = "OrderVoucherRedeemed"
    schema_version: ClassVar[int] = 1
    voucher_cents: Cents = Field(gt=0)
    redemption_id: UUID


@registry.register
class OrderVoucherRedemptionReturned(OrderEvent):
    """Ordering cannot take this redemption for the order (the order has no voucher part,
    or took its voucher part before): vouchers reverses it. The order itself is unchanged."""

    event_name: ClassVar[str] = "OrderVoucherRedemptionReturned"
    schema_version: ClassVar[int] = 1
    voucher_id: UUID
    redemption_id: UUID
    voucher_cents: Cents = Field(gt=0)
    reason: EventLine = Field(default="", max_length=500)


@registry.register
class OrderAccepted(OrderEvent):
    """The merchant will fulfil it (once stock and voucher are secured, it is confirmed)."""

    event_name: ClassVar[str] = "OrderAccepted"
    schema_version: ClassVar[int] = 1


@registry.register
class OrderConfirmed(OrderEvent):
    """Stock or slots reserved, voucher part redeemed, merchant accepted: the order stands."""

    event_name: ClassVar[str] = "OrderConfirmed"
    schema_version: ClassVar[int] = 1


DROP_OFF_SEAL_PURPOSE = b"downtown delivery drop-off v1"
"""The purpose a drop-off is sealed for (``downtown_events.runtime.sealing.sealing_key``, the
order id as subject): ordering seals with it, dispatch opens with it."""


class DeliveryDropOff(ValueObject):
    """Where and to whom a courier brings an order: the content of
    :attr:`OrderDeliveryRequested.sealed_drop_off`, never published in the clear."""

    name: EventLine = Field(min_length=1, max_length=120)
    phone: EventLine = Field(default="", max_length=40)
    street: EventLine = Field(min_length=1, max_length=200)
    postal_code: EventLine = Field(min_length=3, max_length=10)
    city: EventLine = Field(min_length=1, max_length=100)
    note: EventLine = Field(default="", max_length=200)
    pin: GeoPoint | None = Field(default=None, description="the door on the map, where the customer set it")


@registry.register
class OrderDeliveryRequested(OrderEvent):
    """A confirmed order goes by the town's couriers (appended with ``OrderConfirmed``).

    ``sealed_drop_off`` is a :class:`DeliveryDropOff` encrypted for dispatch (AES-256-GCM
    under the town's delivery hand-off key, the order id bound to it): integrators see that
    a delivery was asked for, never who receives it or where. ``courier_orders`` is how many
    orders of the checkout go by courier, so that dispatch consolidates them into one job."""

    event_name: ClassVar[str] = "OrderDeliveryRequested"
    schema_version: ClassVar[int] = 1
    checkout_id: UUID
    courier_orders: int = Field(ge=1, le=50)
    slot: TimeSlot | None = None
    slot_kind: DeliverySlotKind = Field(default="standard", description="the kind of ``slot`` the customer chose")
    goods_cents: Cents = Field(ge=0)
    parcels: int = Field(default=1, ge=1, le=50)
    fee_cents: Cents = Field(default=0, ge=0, description="the delivery fee this order carries")
    sealed_drop_off: str = Field(min_length=1, max_length=4_000)


@registry.register
class OrderRejected(OrderEvent):
    """It will not happen; the catalog releases what it reserved, vouchers reverses what it
    redeemed."""

    event_name: ClassVar[str] = "OrderRejected"
    schema_version: ClassVar[int] = 1
    reason: RejectionReason
    detail: EventLine = Field(default="", max_length=500)


@registry.register
class OrderCancelled(OrderEvent):
    event_name: ClassVar[str] = "OrderCancelled"
    schema_version: ClassVar[int] = 1
    by: Canceller
    detail: EventLine = Field(default="", max_length=500)


@registry.register
class OrderPacked(OrderEvent):
    """From now on the customer can no longer cancel."""

    event_name: ClassVar[str] = "OrderPacked"
    schema_version: ClassVar[int] = 1


@registry.register
class OrderReadyForPickup(OrderEvent):
    event_name: ClassVar[str] = "OrderReadyForPickup"
    schema_version: ClassVar[int] = 1


@registry.register
class OrderHandedOver(OrderEvent):
    """The customer collected it at the shop and paid what was left to pay there."""

    event_name: ClassVar[str] = "OrderHandedOver"
    schema_version: ClassVar[int] = 1
    paid_cents: Cents = Field(ge=0)


@registry.register
class OrderOutForDelivery(OrderEvent):
    event_name: ClassVar[str] = "OrderOutForDelivery"
    schema_version: ClassVar[int] = 1


@registry.register
class OrderDelivered(OrderEvent):
    event_name: ClassVar[str] = "OrderDelivered"
    schema_version: ClassVar[int] = 1
    paid_cents: Cents = Field(default=0, ge=0, description="taken at the door, if paid there")


@registry.register
class OrderDeliveryFailed(OrderEvent):
    """Nobody there, wrong address: the goods go back to the shop, the order is rejected."""

    event_name: ClassVar[str] = "OrderDeliveryFailed"
    schema_version: ClassVar[int] = 1
    detail: EventLine = Field(default="", max_length=500)


@registry.register
class OrderFulfilled(OrderEvent):
    event_name: ClassVar[str] = "OrderFulfilled"
    schema_version: ClassVar[int] = 1


class VatAmount(ValueObject):
    rate_percent: int = Field(ge=0, le=100)
    net_cents: Cents = Field(ge=0)
    vat_cents: Cents = Field(ge=0)


@registry.register
class InvoiceIssued(OrderEvent):
    """An invoice with the particulars § 14 UStG asks for; the number is the merchant's next,
    without gaps (numbers are taken in the same transaction as this event)."""

    event_name: ClassVar[str] = "InvoiceIssued"
    schema_version: ClassVar[int] = 1
    invoice_number: EventLine = Field(min_length=1, max_length=40)
    sequence: int = Field(ge=1)
    issued_on: date
    net_cents: Cents = Field(ge=0)
    vat: list[VatAmount]
    gross_cents: Cents = Field(ge=0)


PaymentReceivedBy = Literal["cash_at_pickup", "card_at_pickup", "cash_at_door", "card_at_door", "bank_transfer"]
"""How the merchant received a payment it records."""


@registry.register
class OrderPaymentRecorded(OrderEvent):
    """The merchant received part or all of what is left to pay (after the voucher part and
    what ``OrderHandedOver``/``OrderDelivered`` say was paid on the spot). Payments of an
    order add up and never exceed what it costs; ``payment_id`` names one payment, so a
    repeated report of it records nothing twice."""

    event_name: ClassVar[str] = "OrderPaymentRecorded"
    schema_version: ClassVar[int] = 1
    payment_id: UUID
    received_by: PaymentReceivedBy
    amount_cents: Cents = Field(gt=0)
    paid_on: date
    left_to_pay_cents: Cents = Field(ge=0, description="what is still to pay after this payment")


@registry.register
class InvoiceCancelled(OrderEvent):
    """A cancellation invoice (Stornorechnung): it cancels the order's invoice
    ``cancels_invoice_number`` under a number of its own, the merchant's next in the same
    sequence without gaps. Its amounts are the cancelled invoice's, negated (``net_cents``,
    ``vat`` and ``gross_cents`` state them as the cancelled invoice did; the document prints
    them with a minus). ``corrected``: a new invoice for the order follows at once (a
    correction), else the order owes nothing on invoice any more."""

    event_name: ClassVar[str] = "InvoiceCancelled"
    schema_version: ClassVar[int] = 1
    invoice_number: EventLine = Field(min_length=1, max_length=40)
    sequence: int = Field(ge=1)
    issued_on: date
    cancels_invoice_number: EventLine = Field(min_length=1, max_length=40)
    net_cents: Cents = Field(ge=0)
    vat: list[VatAmount]
    gross_cents: Cents = Field(ge=0)
    corrected: bool = False
    reason: EventLine = Field(default="", max_length=500)
    request_id: UUID | None = Field(
        default=None,
        description="the merchant's request that cancelled it (from its Idempotency-Key): a retry of that "
        "request cancels or corrects nothing twice",
    )


ORDER_EVENTS = (
    OrderPlaced,
    OrderStockReserved,
    OrderVoucherRedeemed,
    OrderVoucherRedemptionReturned,
    OrderAccepted,
    OrderConfirmed,
    OrderRejected,
    OrderCancelled,
    OrderPacked,
    OrderReadyForPickup,
    OrderHandedOver,
    OrderOutForDelivery,
    OrderDelivered,
    OrderDeliveryFailed,
    OrderFulfilled,
    InvoiceIssued,
    OrderPaymentRecorded,
    InvoiceCancelled,
)
ENDINGS = (OrderRejected, OrderCancelled, OrderDeliveryFailed)
"""After these, what the others reserved or redeemed for the order is given back."""
