# SPDX-License-Identifier: AGPL-3.0-or-later
"""Payments the merchant records on an order: a bank transfer for an invoice, a part paid in
advance, the rest taken at the shop or the door.

What is owed is what the order costs less the voucher part, less what was taken on the spot
(``OrderHandedOver``/``OrderDelivered``), less the payments recorded here; they add up, and
a payment that would make the order paid more than it costs is refused, so what is owed
never goes below nothing. A payment is named by its id (from the request's Idempotency-Key):
the same payment reported again records nothing, the same id for another payment is refused.
A payment is a day's fact, so it cannot lie in the future. Only a merchant the association
approved takes money through Downtown, as for every other act with money.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.ordering import OrderPaymentRecorded, PaymentReceivedBy
from ordering.domain.errors import Contradiction, InvalidChange, NotAllowed, checked
from ordering.domain.facts import MerchantFacts
from ordering.domain.order import Order, ensure_exists


def ensure_takes_money(merchant: MerchantFacts | None) -> None:
    """Recording money received is acting with money: only for an approved merchant."""
    if merchant is None:
        raise InvalidChange("ordering has not heard of this shop from the catalog (any more); try again in a moment")
    if not merchant.approved:
        raise NotAllowed(
            f"{merchant.name} cannot record payments: the town's association has not approved it for payments"
        )


def record_payment(
    state: Order | None,
    *,
    payment_id: UUID,
    received_by: PaymentReceivedBy,
    amount_cents: int,
    paid_on: date,
    today: date,
) -> list[IntegrationEvent]:
    """The merchant received ``amount_cents`` on ``paid_on``; refused for an order that did
    not go ahead, that is not confirmed yet, that owes less, or for a day still to come."""
    order = ensure_exists(state)
    earlier = order.payments.get(payment_id)
    if earlier is not None:
        if (earlier.received_by, earlier.amount_cents, earlier.paid_on) == (received_by, amount_cents, paid_on):
            return []  # the same payment reported again
        raise InvalidChange(
            "this Idempotency-Key was already used for another payment; use a new key for a new payment"
        )
    if order.ended:
        raise InvalidChange("this order did not go ahead; nothing is to be paid for it")
    if not order.confirmed:
        raise InvalidChange("this order is not confirmed yet; record payments once it is")
    if order.invoice_cancelled and order.payment.method == "invoice":
        raise Contradiction("this order's invoice was cancelled; nothing is owed on it")
    if amount_cents <= 0:
        raise InvalidChange("a payment is more than nothing")
    if paid_on > today:
        raise InvalidChange(f"a payment is recorded once it was made; {paid_on.isoformat()} is still to come")
    owed = order.owed_cents
    if owed == 0:
        raise Contradiction("this order is paid; nothing is left to pay")
    if amount_cents > owed:
        raise InvalidChange(
            f"only {format_money(owed, 'en')} are left to pay, not {format_money(amount_cents, 'en')}; "
            "record what was paid for this order"
        )
    recorded = checked(
        OrderPaymentRecorded,
        order_id=order.order_id,
        merchant_id=order.merchant_id,
        payment_id=payment_id,
        received_by=received_by,
        amount_cents=amount_cents,
        paid_on=paid_on,
        left_to_pay_cents=owed - amount_cents,
    )
    return [recorded]
