# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a shop offers at checkout: how its orders can be fulfilled and paid, told to the
customer before they choose, by the rules checkout itself applies (a unit test holds the two
together). A shop that cannot issue invoices (not approved by the association, or without a
tax number or address) does not offer payment on invoice, and the answer says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from downtown_events.ordering import FulfilmentMethod, PaymentMethod
from ordering.domain.facts import MerchantFacts
from ordering.domain.invoice_issuer import not_on_invoice

_AT: dict[FulfilmentMethod, tuple[PaymentMethod, ...]] = {
    "pickup": ("at_pickup",),
    "delivery": ("cash_at_door", "card_at_door"),
}


@dataclass(frozen=True)
class CheckoutOptions:
    merchant_id: UUID
    name: str
    taking_orders: bool
    """False while the shop is closed or suspended: checkout refuses its orders."""
    payment_methods: Mapping[FulfilmentMethod, tuple[PaymentMethod, ...]]
    """Per way of fulfilment the shop offers, the ways to pay what a voucher leaves."""
    not_on_invoice: str | None
    """Why the shop takes no orders on invoice (None: it does)."""


def checkout_options(merchant: MerchantFacts) -> CheckoutOptions:
    refusal = not_on_invoice(merchant)
    invoice: tuple[PaymentMethod, ...] = () if refusal else ("invoice",)
    offered: list[FulfilmentMethod] = []
    if merchant.offers_pickup:
        offered.append("pickup")
    if merchant.offers_delivery:
        offered.append("delivery")
    return CheckoutOptions(
        merchant_id=merchant.merchant_id,
        name=merchant.name,
        taking_orders=not (merchant.closed or merchant.suspended),
        payment_methods={method: (*_AT[method], *invoice) for method in offered},
        not_on_invoice=refusal,
    )
