# SPDX-License-Identifier: AGPL-3.0-or-later
"""An order's voucher part: paid from an authorisation at the order's merchant, or refused;
given back when the order ends without being fulfilled.

The order's events name the order only, so vouchers keeps a small stream per order (its id
derived from the order's) that says where the voucher part came from; an ending of the
order (rejected, cancelled, not delivered) finds the redemption to reverse there. The
redemption's id is derived from the order's too, so a redelivered ``OrderPlaced`` redeems
once even if everything else were lost.

Paying decides on three streams at once (:class:`Decision`): the authorisation's, the
voucher's and the order part's. The balance rules are the voucher's own (``balance.redeem``
and ``balance.reverse_redemption``: money before bonus, expiry, where it may be spent);
what this module adds is the authorisation's limit and which stream says what.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.ordering import (
    OrderCancelled,
    OrderDeliveryFailed,
    OrderEvent,
    OrderPlaced,
    OrderRejected,
    OrderVoucherRedemptionReturned,
)
from vouchers.domain import authorization as authorizations
from vouchers.domain import balance
from vouchers.domain.authorization import Authorization
from vouchers.domain.errors import DomainError, InsufficientBalance, InvalidChange, NotYetKnown
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.private_events import OrderVoucherPartTaken
from vouchers.domain.voucher import Voucher

ENDING_REASONS: dict[type[OrderEvent], str] = {
    OrderRejected: "Bestellung abgelehnt",
    OrderCancelled: "Bestellung storniert",
    OrderDeliveryFailed: "Zustellung gescheitert",
    OrderVoucherRedemptionReturned: "von der Bestellung zurückgegeben",
}
"""What a reversal for an order's ending says (the merchant's statement shows it)."""


@dataclass(frozen=True)
class OrderVoucherPart:
    order_id: UUID
    merchant_id: UUID
    authorization_id: UUID
    voucher_id: UUID
    redemption_id: UUID
    voucher_cents: int


def stream_id(order_id: UUID) -> str:
    """The stream of an order's voucher part in vouchers (never the order's own id: that
    stream is ordering's)."""
    return str(uuid5(NAMESPACE_URL, f"downtown:order-voucher-part:{order_id}"))


def redemption_id_for(order_id: UUID) -> UUID:
    """One order is one redemption, however often its ``OrderPlaced`` arrives."""
    return uuid5(NAMESPACE_URL, f"downtown:order-redemption:{order_id}")


def replay(events: Iterable[IntegrationEvent]) -> OrderVoucherPart | None:
    part: OrderVoucherPart | None = None
    for event in events:
        if isinstance(event, OrderVoucherPartTaken) and part is None:
            part = OrderVoucherPart(
                event.order_id,
                event.merchant_id,
                event.authorization_id,
                event.voucher_id,
                event.redemption_id,
                event.voucher_cents,
            )
    return part


def take(
    state: OrderVoucherPart | None,
    *,
    order_id: UUID,
    merchant_id: UUID,
    authorization_id: UUID,
    voucher_id: UUID,
    voucher_cents: int,
) -> list[IntegrationEvent]:
    """Record the order's voucher part once; recording it again decides nothing."""
    if state is not None:
        return []
    return [
        OrderVoucherPartTaken(
            order_id=order_id,
            merchant_id=merchant_id,
            authorization_id=authorization_id,
            voucher_id=voucher_id,
            redemption_id=redemption_id_for(order_id),
            voucher_cents=voucher_cents,
        )
    ]


def ensure_payable(placed: OrderPlaced) -> UUID:
    """What the order itself must say for a voucher to pay part of it; the authorisation's id."""
    payment = placed.payment
    if payment.voucher_authorization_id is None:
        raise InvalidChange("the order asks for a voucher part but names no voucher authorisation")
    if payment.voucher_cents > placed.total_cents:
        raise InvalidChange(
            f"the voucher part of {format_money(payment.voucher_cents, 'en')} is more than the order's total "
            f"of {format_money(placed.total_cents, 'en')}"
        )
    return payment.voucher_authorization_id


def authorization_stream(placed: OrderPlaced) -> UUID:
    """Where the order's answer is decided: its authorisation's stream (an order naming none
    is refused on :data:`~vouchers.domain.authorization.NO_AUTHORIZATION`'s)."""
    return placed.payment.voucher_authorization_id or authorizations.NO_AUTHORIZATION


def redeem_for_order(
    state: Voucher | None,
    *,
    order_id: UUID,
    merchant: MerchantStanding,
    voucher_cents: int,
    today: date,
    merchant_accepts: bool,
) -> list[IntegrationEvent]:
    """The voucher pays the order's part at its merchant, by the same rules as at a counter
    (``balance.redeem``), with reasons worded for the order."""
    try:
        return balance.redeem(
            state,
            redemption_id=redemption_id_for(order_id),
            merchant=merchant,
            amount_cents=voucher_cents,
            today=today,
            merchant_accepts=merchant_accepts,
            channel="order",
            order_id=order_id,
        )
    except InsufficientBalance:
        held = state.balance_cents if state is not None else 0
        raise InsufficientBalance(
            f"the voucher holds {format_money(held, 'en')} now, "
            f"less than the {format_money(voucher_cents, 'en')} this order asks of it"
        ) from None
    except NotYetKnown:
        raise NotYetKnown("the voucher service does not know this shop (yet); it cannot take the voucher") from None


@dataclass(frozen=True)
class Decision:
    """The new events of one order's voucher part, per stream; appended in one transaction."""

    authorization: list[IntegrationEvent] = field(default_factory=list)
    voucher: list[IntegrationEvent] = field(default_factory=list)
    part: list[IntegrationEvent] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.authorization or self.voucher or self.part)


def pay(
    part: OrderVoucherPart | None,
    authorization: Authorization | None,
    voucher: Voucher | None,
    *,
    placed: OrderPlaced,
    placed_at: datetime,
    merchant: MerchantStanding,
    merchant_accepts: bool,
    today: date,
    now: datetime,
) -> Decision:
    """The order's voucher part, taken from ``authorization``'s voucher at the order's
    merchant, or refused with the reason (on the authorisation's stream, for ordering's
    saga). ``voucher`` is the one the authorisation names (None when it names none).
    An order answered before, paid or refused, decides nothing: a redelivery, a repeat.

    A shop this service has not heard of yet (its replica of the catalog is behind) is no
    reason to refuse: until the order's answer time (``answers_by``) runs out, deciding
    waits (:class:`NotYetKnown` is raised, for the caller to try again later); after it, the
    order is refused, as ordering rejects it then anyway."""
    order_id, cents = placed.order_id, placed.payment.voucher_cents
    if authorization is not None and authorization.authorization_id != authorization_stream(placed):
        raise ValueError("an order's voucher part is decided on the authorisation it names")
    if part is not None or (authorization is not None and authorization.answered(order_id)):
        return Decision()
    try:
        ensure_payable(placed)
        used = authorizations.use(
            authorization,
            order_id=order_id,
            checkout_id=placed.checkout_id,
            merchant_id=placed.merchant_id,
            voucher_cents=cents,
            redemption_id=redemption_id_for(order_id),
            placed_at=placed_at,
        )
        redeemed = redeem_for_order(
            voucher,
            order_id=order_id,
            merchant=merchant,
            voucher_cents=cents,
            today=today,
            merchant_accepts=merchant_accepts,
        )
    except NotYetKnown as unknown:
        if now < answer_deadline(placed):
            raise
        return _refused(authorization, placed, unknown.reason)
    except DomainError as refusal:
        return _refused(authorization, placed, refusal.reason)
    assert voucher is not None  # redeemed: there is one
    taken = take(
        part,
        order_id=order_id,
        merchant_id=placed.merchant_id,
        authorization_id=authorization_stream(placed),
        voucher_id=voucher.voucher_id,
        voucher_cents=cents,
    )
    return Decision(authorization=used, voucher=redeemed, part=taken)


def answer_deadline(placed: OrderPlaced) -> datetime:
    """By when ordering waits for this service's answer (orders placed before ``answers_by``
    existed: the merchant's answer time)."""
    return placed.answers_by or placed.merchant_answer_by


def _refused(authorization: Authorization | None, placed: OrderPlaced, reason: str) -> Decision:
    refused = authorizations.refuse(
        authorization,
        authorization_id=authorization_stream(placed),
        order_id=placed.order_id,
        merchant_id=placed.merchant_id,
        voucher_cents=placed.payment.voucher_cents,
        reason=reason,
    )
    return Decision(authorization=refused)


def give_back(
    part: OrderVoucherPart | None,
    authorization: Authorization | None,
    voucher: Voucher | None,
    *,
    ending: OrderEvent,
    today: date,
) -> Decision:
    """The order ended unfulfilled, or handed its redemption back: the redemption is reversed
    (what of it was not refunded yet goes back to the voucher) and the authorisation counts
    it no longer. An order that took nothing, or was given back before, decides nothing."""
    if part is None:
        return Decision()
    reason = ENDING_REASONS.get(type(ending), "Bestellung beendet")
    return Decision(
        authorization=authorizations.release(authorization, order_id=part.order_id, reason=reason),
        voucher=balance.reverse_redemption(
            voucher, redemption_id=part.redemption_id, today=today, reason=reason, order_id=part.order_id
        ),
    )
