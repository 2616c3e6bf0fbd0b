# SPDX-License-Identifier: AGPL-3.0-or-later
"""An order: one merchant's part of a checkout, and its life cycle (the order saga).

The order waits for three answers, which arrive in any order and any number of times: the
catalog's reservation of stock or slots, vouchers' redemption of the voucher part (only when
a voucher pays part), and the merchant's acceptance. It is confirmed in the same decision as
the last of them; any refusal rejects it, and so does silence: the merchant's past
``merchant_answer_by``, the catalog's or vouchers' past ``answers_by`` (an answer lost to a
dead letter, or unreadable during an upgrade, must not hold stock for ever). The others
compensate on ``OrderRejected``. After the confirmation the merchant packs,
readies it for pickup and hands it over, or sends it out for delivery; a handing over or a
delivery fulfils it in the same decision.

Late, repeated or reordered answers never move an order backwards or twice: an answer that
changes nothing (a duplicate, stock reserved after a rejection) decides nothing; a merchant's
step that contradicts what the order knows (a decline after the confirmation) is refused with
a reason; a saga answer that contradicts it is recorded (``OrderAnswerContradicted``), and a
redemption the order cannot take is handed back (``OrderVoucherRedemptionReturned``). The
merchant's steps after the confirmation (packed, ready, handed over, out for delivery,
delivered or not) are in :mod:`ordering.domain.fulfilment`, which folds into the same
:class:`Order`. An order the town's couriers deliver is handed to dispatch when it is
confirmed and follows dispatch's events from then on (:mod:`ordering.domain.courier`); a
dispatch that does not answer the hand-off by its deadline ends it here, in :func:`time_out`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal
from uuid import UUID

from downtown_events.catalog import ReservationRefusal
from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.ordering import (
    Canceller,
    Fulfilment,
    InvoiceCancelled,
    InvoiceIssued,
    OrderAccepted,
    OrderCancelled,
    OrderConfirmed,
    OrderDelivered,
    OrderDeliveryFailed,
    OrderDeliveryRequested,
    OrderFulfilled,
    OrderHandedOver,
    OrderLine,
    OrderOutForDelivery,
    OrderPacked,
    OrderPaymentRecorded,
    OrderPlaced,
    OrderReadyForPickup,
    OrderRejected,
    OrderStockReserved,
    OrderVoucherRedeemed,
    OrderVoucherRedemptionReturned,
    Payment,
    PlacedBy,
    RejectionReason,
)
from ordering.domain.basket import line_id
from ordering.domain.errors import Contradiction, InvalidChange, NotFound, TooEarly, TooLate, checked
from ordering.domain.private_events import (
    CourierOrdersCounted,
    DeliveryJobJoined,
    DispatchAnswerAwaited,
    MeetingLinkAssigned,
    OrderAnswerContradicted,
    OrderCustomerRecorded,
)

Ending = Literal["rejected", "cancelled", "delivery_failed"]
OrderStatus = Literal[
    "placed",
    "confirmed",
    "packed",
    "ready_for_pickup",
    "out_for_delivery",
    "fulfilled",
    "rejected",
    "cancelled",
    "delivery_failed",
]
Condition = Literal["stock", "voucher", "merchant"]
REJECTED_AS: dict[ReservationRefusal, RejectionReason] = {
    "out_of_stock": "out_of_stock",
    "slot_taken": "slot_taken",
    "offer_unavailable": "offer_unavailable",
    "merchant_unavailable": "merchant_unavailable",
}


@dataclass(frozen=True)
class Order:
    order_id: UUID
    checkout_id: UUID
    merchant_id: UUID
    lines: tuple[OrderLine, ...]
    fulfilment: Fulfilment
    payment: Payment
    goods_cents: int
    total_cents: int
    placed_by: PlacedBy
    merchant_answer_by: datetime
    cancellable_until: datetime
    answers_by: datetime | None = None
    stock_reserved: bool = False
    redemption_id: UUID | None = None
    accepted: bool = False
    confirmed: bool = False
    packed: bool = False
    ready_for_pickup: bool = False
    out_for_delivery: bool = False
    handed_over: bool = False
    delivered: bool = False
    fulfilled: bool = False
    paid_cents: int = 0
    """Taken on the spot, when it was handed over or delivered."""
    # Read-only by convention: the payments the merchant recorded, by payment id (see
    # ordering.domain.payments).
    payments: Mapping[UUID, OrderPaymentRecorded] = field(default_factory=dict, repr=False)
    ending: Ending | None = None
    rejection_reason: RejectionReason | None = None
    cancelled_by: Canceller | None = None
    invoice: InvoiceIssued | None = None
    """The order's latest invoice (cancelled if ``invoice_cancelled``)."""
    invoice_cancelled: bool = False
    invoice_documents: int = 0
    """How many invoices and cancellation invoices its stream holds (numbers it was given)."""
    invoice_requests: frozenset[UUID] = frozenset()
    """The merchant's requests that cancelled or corrected its invoices (a retry does nothing)."""
    customer: OrderCustomerRecorded | None = field(default=None, repr=False)
    # Read-only by convention: a fold copies it once. Keyed by the line id (offer and slot).
    meeting_links: Mapping[UUID, str] = field(default_factory=dict, repr=False)
    courier_orders: int = 0
    """How many orders of its checkout go by the town's couriers (0: not known, one of them)."""
    delivery_requested: bool = False
    """Handed to dispatch (``OrderDeliveryRequested``), which answers by ``dispatch_answer_by``."""
    dispatch_answer_by: datetime | None = None
    delivery_job_id: UUID | None = None
    """Dispatch's job that picks it up (its answer to the hand-off)."""
    version: int = 0

    @property
    def status(self) -> OrderStatus:
        if self.ending is not None:
            return self.ending
        if self.fulfilled:
            return "fulfilled"
        if self.out_for_delivery:
            return "out_for_delivery"
        if self.ready_for_pickup:
            return "ready_for_pickup"
        if self.packed:
            return "packed"
        if self.confirmed:
            return "confirmed"
        return "placed"

    @property
    def ended(self) -> bool:
        """Rejected, cancelled or failed in delivery: what was reserved or redeemed is given back."""
        return self.ending is not None

    @property
    def settled(self) -> bool:
        """Nothing more will happen to it: ended, or fulfilled."""
        return self.ended or self.fulfilled

    @property
    def delivery(self) -> bool:
        return self.fulfilment.method == "delivery"

    @property
    def by_courier(self) -> bool:
        """Delivered by the town's couriers (a delivery slot of dispatch's terms was chosen),
        not by the merchant: its delivery follows dispatch's events."""
        return self.delivery and self.fulfilment.delivery_slot is not None

    @property
    def awaiting_dispatch(self) -> bool:
        """Handed to dispatch, which has neither taken it into a job nor refused it yet."""
        answered = self.delivery_job_id is not None or self.out_for_delivery
        return self.delivery_requested and not answered and not self.settled

    @property
    def needs_voucher(self) -> bool:
        return self.payment.voucher_cents > 0

    @property
    def voucher_redeemed(self) -> bool:
        return self.redemption_id is not None

    @property
    def due_cents(self) -> int:
        """What is left to pay once the voucher part is paid."""
        return self.total_cents - self.payment.voucher_cents

    @property
    def received_cents(self) -> int:
        """What the merchant received besides the voucher part: on the spot and recorded."""
        return self.paid_cents + sum(payment.amount_cents for payment in self.payments.values())

    @property
    def owed_cents(self) -> int:
        """What the customer still owes: nothing once an order ended or its only invoice was
        cancelled without a new one; otherwise the due amount less what was received."""
        if self.ended or (self.invoice_cancelled and self.payment.method == "invoice"):
            return 0
        return max(0, self.due_cents - self.received_cents)

    @property
    def paid(self) -> bool:
        """Everything the order costs is paid (by voucher, on the spot, or recorded)."""
        return not self.ended and self.due_cents - self.received_cents <= 0

    @property
    def answers_deadline(self) -> datetime:
        """By when the catalog and vouchers must have answered (for orders placed before
        ``answers_by`` existed: the merchant's answer time)."""
        return self.answers_by or self.merchant_answer_by

    @property
    def waiting_for(self) -> tuple[Condition, ...]:
        """The answers a placed order still waits for before it is confirmed."""
        if self.confirmed or self.ended:
            return ()
        missing: list[Condition] = []
        if not self.stock_reserved:
            missing.append("stock")
        if self.needs_voucher and not self.voucher_redeemed:
            missing.append("voucher")
        if not self.accepted:
            missing.append("merchant")
        return tuple(missing)


def evolve(state: Order | None, event: IntegrationEvent) -> Order:
    return _fold(state, [event])


def replay(events: Iterable[IntegrationEvent]) -> Order | None:
    history = list(events)
    if history and not isinstance(history[0], OrderPlaced):
        raise NotFound("no such order")
    return _fold(None, history) if history else None


def _placed(event: OrderPlaced) -> Order:
    return Order(
        event.order_id,
        event.checkout_id,
        event.merchant_id,
        tuple(event.lines),
        event.fulfilment,
        event.payment,
        event.goods_cents,
        event.total_cents,
        event.placed_by,
        event.merchant_answer_by,
        event.cancellable_until,
        answers_by=event.answers_by,
        version=1,
    )


def _fold(state: Order | None, events: Sequence[IntegrationEvent]) -> Order:
    if state is None:
        first, *events = events
        if not isinstance(first, OrderPlaced):
            raise ValueError(f"{type(first).__name__} before OrderPlaced")
        state = _placed(first)
    links, payments = dict(state.meeting_links), dict(state.payments)
    for event in events:
        state = _apply(state, event, links, payments)
    return replace(state, meeting_links=links, payments=payments, version=state.version + len(events))


def _apply(
    state: Order, event: IntegrationEvent, links: dict[UUID, str], payments: dict[UUID, OrderPaymentRecorded]
) -> Order:
    match event:
        case OrderStockReserved():
            return replace(state, stock_reserved=True)
        case OrderAccepted():
            return replace(state, accepted=True)
        case OrderConfirmed():
            return replace(state, confirmed=True)
        case OrderPacked():
            return replace(state, packed=True)
        case OrderReadyForPickup():
            return replace(state, ready_for_pickup=True)
        case OrderOutForDelivery():
            return replace(state, out_for_delivery=True)
        case OrderFulfilled():
            return replace(state, fulfilled=True)
        case OrderVoucherRedeemed():
            return replace(state, redemption_id=event.redemption_id)
        case OrderRejected():
            return replace(state, ending="rejected", rejection_reason=event.reason)
        case OrderCancelled():
            return replace(state, ending="cancelled", cancelled_by=event.by)
        case OrderDeliveryFailed():
            return replace(state, ending="delivery_failed")
        case OrderHandedOver():
            return replace(state, handed_over=True, paid_cents=event.paid_cents)
        case OrderDelivered():
            return replace(state, delivered=True, paid_cents=event.paid_cents)
        case InvoiceIssued():
            return replace(state, invoice=event, invoice_cancelled=False, invoice_documents=state.invoice_documents + 1)
        case InvoiceCancelled():
            requests = state.invoice_requests | ({event.request_id} if event.request_id else set())
            return replace(
                state, invoice_cancelled=True, invoice_documents=state.invoice_documents + 1, invoice_requests=requests
            )
        case OrderPaymentRecorded():
            payments[event.payment_id] = event
        case OrderVoucherRedemptionReturned() | OrderAnswerContradicted():
            return state  # it changes nothing of the order: the record is the point
        case OrderCustomerRecorded():
            return replace(state, customer=event)
        case CourierOrdersCounted():
            return replace(state, courier_orders=event.courier_orders)
        case OrderDeliveryRequested():
            return replace(state, delivery_requested=True)
        case DispatchAnswerAwaited():
            return replace(state, dispatch_answer_by=event.answer_by)
        case DeliveryJobJoined():
            return replace(state, delivery_job_id=event.job_id)
        case MeetingLinkAssigned():
            links[line_id(event.offer_id, event.slot)] = event.url
        case OrderPlaced():
            raise ValueError("an order is placed once")
    return state


def ensure_exists(state: Order | None) -> Order:
    if state is None:
        raise NotFound("no such order")
    return state


def _then_confirmed(order: Order, events: list[IntegrationEvent]) -> list[IntegrationEvent]:
    """``events``, and ``OrderConfirmed`` if they complete the order's conditions."""
    after = _fold(order, events)
    if not after.confirmed and not after.ended and not after.waiting_for:
        events.append(OrderConfirmed(order_id=order.order_id, merchant_id=order.merchant_id))
    return events


def _ids(order: Order) -> dict[str, UUID]:
    return {"order_id": order.order_id, "merchant_id": order.merchant_id}


def _rejected(order: Order, reason: RejectionReason, detail: str = "") -> list[IntegrationEvent]:
    return [checked(OrderRejected, **_ids(order), reason=reason, detail=detail[:500])]


# --- the catalog's answer ----------------------------------------------------------------


def record_stock_reserved(state: Order | None) -> list[IntegrationEvent]:
    """The catalog reserved every line. After an ending nothing (the catalog releases on it)."""
    order = ensure_exists(state)
    if order.ended or order.stock_reserved:
        return []
    return _then_confirmed(order, [OrderStockReserved(**_ids(order))])


def record_stock_refused(
    state: Order | None, *, reason: ReservationRefusal, detail: str = ""
) -> list[IntegrationEvent]:
    """The catalog could reserve nothing: the order is rejected for the catalog's reason.
    A refusal after a reservation contradicts it: recorded, and the reservation stands (the
    catalog gives it back when the order ends)."""
    order = ensure_exists(state)
    if order.ended:
        return []
    if order.stock_reserved:
        return [_contradicted(order, "OrderReservationRefused", f"refused ({reason}) after a reservation")]
    return _rejected(order, REJECTED_AS[reason], detail)


# --- vouchers' answer --------------------------------------------------------------------


def record_voucher_redeemed(
    state: Order | None, *, voucher_id: UUID, redemption_id: UUID, voucher_cents: int
) -> list[IntegrationEvent]:
    """Vouchers took the voucher part. After an ending nothing (vouchers reverses on it).

    A redemption the order cannot take is handed back for vouchers to reverse: one for an
    order without a voucher part, or a second one. One of another amount than the voucher
    part cannot pay it: the order is rejected (and vouchers gives the part back on that)."""
    order = ensure_exists(state)
    if order.redemption_id == redemption_id:
        return []  # a repeated answer
    if not order.needs_voucher or order.voucher_redeemed:
        why = "this order has no voucher part" if not order.needs_voucher else "its voucher part was paid before"
        returned = OrderVoucherRedemptionReturned(
            **_ids(order), voucher_id=voucher_id, redemption_id=redemption_id, voucher_cents=voucher_cents, reason=why
        )
        return [returned]
    if order.ended:
        return []
    if voucher_cents != order.payment.voucher_cents:
        wrong = (
            f"the voucher part of {format_money(order.payment.voucher_cents, 'en')} "
            f"was redeemed as {format_money(voucher_cents, 'en')}"
        )
        return _rejected(order, "voucher_refused", wrong)
    redeemed = OrderVoucherRedeemed(**_ids(order), voucher_cents=voucher_cents, redemption_id=redemption_id)
    return _then_confirmed(order, [redeemed])


def record_voucher_refused(state: Order | None, *, reason: str = "") -> list[IntegrationEvent]:
    """Vouchers could not take the voucher part: the order is rejected. A refusal of a
    voucher part the order does not have, or after its redemption, is recorded only."""
    order = ensure_exists(state)
    if order.ended:
        return []
    if not order.needs_voucher or order.voucher_redeemed:
        why = "this order has no voucher part" if not order.needs_voucher else "refused after it was redeemed"
        return [_contradicted(order, "VoucherPaymentRefused", why)]
    return _rejected(order, "voucher_refused", reason)


def _contradicted(order: Order, answer: str, detail: str) -> OrderAnswerContradicted:
    return OrderAnswerContradicted(order_id=order.order_id, answer=answer, detail=detail[:500])


# --- the merchant's answer ---------------------------------------------------------------


def accept(state: Order | None, *, now: datetime) -> list[IntegrationEvent]:
    """The merchant will fulfil it, within its time to answer; accepting twice decides nothing."""
    order = ensure_exists(state)
    if order.accepted:
        return []
    if order.ended:
        raise Contradiction(f"this order was {_ended_how(order)}; it can no longer be accepted")
    if now >= order.merchant_answer_by:
        raise TooLate(
            f"the time to answer ran out at {order.merchant_answer_by.isoformat()}; the order is rejected as unanswered"
        )
    return _then_confirmed(order, [OrderAccepted(**_ids(order))])


def decline(state: Order | None, *, reason: str = "") -> list[IntegrationEvent]:
    """The merchant will not fulfil it. Once accepted it can only be cancelled."""
    order = ensure_exists(state)
    if order.ended:
        return []
    if order.accepted:
        raise Contradiction("this order was accepted; cancel it if it cannot be fulfilled")
    return _rejected(order, "declined", reason)


DISPATCH_SILENT = "dispatch did not answer the delivery request in time"
WAITING_FOR: dict[Condition, str] = {
    "stock": "the catalog's reservation",
    "voucher": "vouchers' payment of the voucher part",
    "merchant": "the merchant's answer",
}


def time_out(state: Order | None, *, now: datetime) -> list[IntegrationEvent]:
    """The scheduler's call at a deadline: a merchant who has not accepted by
    ``merchant_answer_by`` has declined; an order whose catalog or vouchers answer is still
    missing at ``answers_by`` will not happen either (what they did take comes back on the
    rejection). A courier order dispatch has not taken into a job by ``dispatch_answer_by``
    ends undelivered (what was taken for it comes back on that ending, as on a rejection). A
    confirmed order otherwise, or an ended one, decides nothing, so it may fire again."""
    order = ensure_exists(state)
    if order.awaiting_dispatch and order.dispatch_answer_by is not None:
        if now >= order.dispatch_answer_by:
            return [OrderDeliveryFailed(**_ids(order), detail=DISPATCH_SILENT)]
        raise TooEarly(f"the order waits for dispatch's answer until {order.dispatch_answer_by.isoformat()}")
    if order.confirmed or order.ended:
        return []
    if not order.accepted and now >= order.merchant_answer_by:
        return _rejected(order, "timed_out", "the merchant did not answer in time")
    missing = [condition for condition in order.waiting_for if condition != "merchant"]
    if missing and now >= order.answers_deadline:
        late = " and ".join(WAITING_FOR[condition] for condition in missing)
        return _rejected(order, "timed_out", f"{late} did not arrive in time")
    due = order.answers_deadline if order.accepted else min(order.merchant_answer_by, order.answers_deadline)
    raise TooEarly(f"the order waits for answers until {due.isoformat()}")


# --- cancellation ------------------------------------------------------------------------


def cancel(state: Order | None, *, by: Canceller, reason: str = "", now: datetime) -> list[IntegrationEvent]:
    """The customer cancels within the grace period and until the merchant has packed; the
    merchant or the association until it is handed over or delivered. An order that ended
    already is not cancelled again."""
    order = ensure_exists(state)
    if order.ended:
        return []
    if order.fulfilled:
        raise InvalidChange("this order was fulfilled; returns are arranged with the shop")
    if by == "customer":
        if order.packed:
            raise TooLate("the shop has packed this order; ask the shop to cancel it")
        if now >= order.cancellable_until:
            raise TooLate(
                f"this order could be cancelled until {order.cancellable_until.isoformat()}; ask the shop to cancel it"
            )
    return [checked(OrderCancelled, **_ids(order), by=by, detail=reason[:500])]


def _ended_how(order: Order) -> str:
    if order.ending == "rejected":
        return f"rejected ({order.rejection_reason})"
    if order.ending == "cancelled":
        return f"cancelled by the {order.cancelled_by}"
    return "not delivered"


def ensure_confirmed(order: Order, doing: str) -> Order:
    """For the merchant's steps after the confirmation."""
    if order.ended:
        raise InvalidChange(f"this order was {_ended_how(order)}; it is not to be {doing}")
    if not order.confirmed:
        waiting = ", ".join(order.waiting_for)
        raise InvalidChange(f"this order is not confirmed yet (it waits for: {waiting}); it cannot be {doing} yet")
    return order
