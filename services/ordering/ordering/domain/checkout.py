# SPDX-License-Identifier: AGPL-3.0-or-later
"""Checkout: a basket becomes one order per merchant, linked by a checkout id.

Pure: what the replica knows of the catalog (:mod:`ordering.domain.facts`), the customer's
choices per merchant and the clock are handed in; the result says which events go to which
stream (the basket's, each order's), for the app to append in one unit of work. A price that
changed since the basket was filled is shown (:class:`PricesChanged`), never silently charged.
The catalog still has the last word on stock and slots: checkout refuses what the replica
already knows to fail, the saga settles the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.ordering import PlacedBy
from ordering.domain.basket import MAX_LINES, Basket, BasketLine, check_line, ensure_exists, line_id, shown_title

# What the customer chooses, and one merchant's order, live in their own modules; checkout's
# whole API is still checkout.<name>.
from ordering.domain.choices import AssistedLine as AssistedLine
from ordering.domain.choices import CustomerDetails as CustomerDetails
from ordering.domain.choices import DeliveryChoice as DeliveryChoice
from ordering.domain.choices import MerchantChoice as MerchantChoice
from ordering.domain.choices import PaymentChoice as PaymentChoice
from ordering.domain.choices import PickupChoice as PickupChoice
from ordering.domain.courier import count_couriers
from ordering.domain.errors import (
    AlreadyCheckedOut,
    InvalidChange,
    NotAllowed,
    NotYetKnown,
    OfferUnavailable,
    PriceChange,
    PricesChanged,
)
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings
from ordering.domain.placement import PlacedOrder as PlacedOrder
from ordering.domain.placement import courier_delivery, place_order
from ordering.domain.placement import order_id_for as order_id_for
from ordering.domain.private_events import AssistedOrderEntered, BasketCheckedOut


@dataclass(frozen=True)
class StreamAppend:
    """Events for one stream, and the version of the stream they were decided on (0: new)."""

    stream_id: UUID
    expected_version: int
    events: tuple[IntegrationEvent, ...]


@dataclass(frozen=True)
class CheckoutDecision:
    """The orders of one checkout and its record — the basket's ``BasketCheckedOut`` at the
    version the checkout was decided on, or an assisted order's ``AssistedOrderEntered`` on
    the checkout's new stream: to append in one unit of work (see :meth:`appends`)."""

    checkout_id: UUID
    orders: tuple[PlacedOrder, ...]
    record: StreamAppend

    def appends(self) -> list[StreamAppend]:
        """The record first, then each order's new stream. Appending the record at the version
        decided on is what lets exactly one of racing checkouts of a basket win."""
        return [self.record, *(StreamAppend(order.order_id, 0, order.events) for order in self.orders)]

    @property
    def total_cents(self) -> int:
        return sum(order.placed.total_cents for order in self.orders)

    @property
    def voucher_cents(self) -> int:
        return sum(order.placed.payment.voucher_cents for order in self.orders)


def check_out(
    state: Basket | None,
    *,
    checkout_id: UUID,
    customer: CustomerDetails,
    choices: Mapping[UUID, MerchantChoice],
    offers: Mapping[UUID, OfferFacts],
    merchants: Mapping[UUID, MerchantFacts],
    settings: TownSettings,
    now: datetime,
    terms: DeliveryTermsSet | None = None,
) -> CheckoutDecision:
    """The basket's orders, one per merchant, each with its fulfilment and payment from
    ``choices`` (keyed by merchant id), or the first rule it breaks; every changed price is
    listed at once. With dispatch's ``terms`` the delivery orders go together: one zone, one
    slot, one fee (:mod:`ordering.domain.courier_delivery`)."""
    basket = ensure_exists(state)
    if basket.checked_out:
        raise AlreadyCheckedOut("this basket was checked out before; your orders are on their way", basket.checkout_id)
    if not basket.lines:
        raise InvalidChange("the basket is empty; put something in it first")
    if basket.account_id is not None and customer.account_id != basket.account_id:
        raise NotAllowed("this basket belongs to another account")
    _check_customer(customer, "customer")
    lines = tuple(basket.lines.values())
    _check_choices_cover(basket.merchant_ids, choices, merchants)
    known = _known_offers(lines, offers, merchants)
    changes = [_price_change(line, known[line.offer_id]) for line in lines]
    if any(changes):
        raise PricesChanged([change for change in changes if change is not None])
    courier = courier_delivery(terms, basket.merchant_ids, choices, merchants, lines, settings, now)
    orders = tuple(
        place_order(
            checkout_id,
            basket.lines_of(merchant_id),
            merchants[merchant_id],
            choices[merchant_id],
            customer,
            known,
            settings,
            now,
            "customer",
            courier,
        )
        for merchant_id in basket.merchant_ids
    )
    orders = count_couriers(orders)  # dispatch makes one job of them: each says how many there are
    checked_out = BasketCheckedOut(
        basket_id=basket.basket_id,
        checkout_id=checkout_id,
        order_ids=[order.order_id for order in orders],
        checked_out_at=now,
    )
    return CheckoutDecision(checkout_id, orders, StreamAppend(basket.basket_id, basket.version, (checked_out,)))


def place_assisted(
    *,
    checkout_id: UUID,
    merchant_id: UUID,
    lines: Sequence[AssistedLine],
    placed_by: Literal["merchant", "association"],
    customer: CustomerDetails,
    choice: MerchantChoice,
    offers: Mapping[UUID, OfferFacts],
    merchants: Mapping[UUID, MerchantFacts],
    settings: TownSettings,
    now: datetime,
    terms: DeliveryTermsSet | None = None,
) -> CheckoutDecision:
    """An order a merchant or the association enters for a customer who phoned, at today's
    prices, by the same rules as a checkout. One the merchant enters is accepted at once."""
    if not 1 <= len(lines) <= MAX_LINES:
        raise InvalidChange(f"an order has 1 to {MAX_LINES} lines")
    _check_customer(customer, placed_by)
    basket_lines = []
    for line in lines:
        offer = offers.get(line.offer_id)
        if offer is None or offer.merchant_id != merchant_id:
            raise OfferUnavailable("this merchant offers no such thing (any more)", line.offer_id)
        check_line(offer.kind, shown_title(offer.title), line.quantity, line.slot)
        basket_lines.append(
            BasketLine(
                line_id(offer.offer_id, line.slot),
                offer.offer_id,
                merchant_id,
                offer.kind,
                shown_title(offer.title),
                line.quantity,
                offer.price_cents,
                line.slot,
            )
        )
    _check_choices_cover((merchant_id,), {merchant_id: choice}, merchants)
    known = _known_offers(basket_lines, offers, merchants)
    courier = courier_delivery(terms, (merchant_id,), {merchant_id: choice}, merchants, basket_lines, settings, now)
    order = place_order(
        checkout_id,
        tuple(basket_lines),
        merchants[merchant_id],
        choice,
        customer,
        known,
        settings,
        now,
        placed_by,
        courier,
    )
    entered = AssistedOrderEntered(
        checkout_id=checkout_id, order_id=order.order_id, merchant_id=merchant_id, placed_by=placed_by
    )
    return CheckoutDecision(checkout_id, count_couriers((order,)), StreamAppend(checkout_id, 0, (entered,)))


def _check_customer(customer: CustomerDetails, placed_by: PlacedBy) -> None:
    if not customer.name.strip():
        raise InvalidChange("tell us the customer's name")
    if customer.account_id is not None and customer.guest_token_hash is not None:
        raise InvalidChange("an order is a signed-in customer's or a guest's, not both")
    if placed_by == "customer":
        if not customer.email:
            raise InvalidChange("an e-mail address is needed to tell you how your order goes")
        if customer.account_id is None and customer.guest_token_hash is None:
            raise InvalidChange("sign in, or order as a guest with the link we give you")
    elif not customer.email and not customer.phone.strip():
        raise InvalidChange("an assisted order needs the customer's phone number or e-mail address")


def _check_choices_cover(
    merchant_ids: Sequence[UUID], choices: Mapping[UUID, MerchantChoice], merchants: Mapping[UUID, MerchantFacts]
) -> None:
    for merchant_id in merchant_ids:
        facts = merchants.get(merchant_id)
        if facts is None:
            raise NotYetKnown("a shop of this basket is not known to ordering yet; try again in a moment")
        if facts.suspended:
            raise NotAllowed(f"the town's association has suspended {facts.name}; take its offers out of the basket")
        if facts.closed:
            note = f" ({facts.closed_note})" if facts.closed_note else ""
            raise NotAllowed(f"{facts.name} has closed for now{note}; order there again once it reopens")
        if merchant_id not in choices:
            raise InvalidChange(f"choose delivery or pickup, and how to pay, for {facts.name}")
    if set(choices) - set(merchant_ids):
        raise InvalidChange("a choice names a shop that has nothing in this order")


def _known_offers(
    lines: Sequence[BasketLine], offers: Mapping[UUID, OfferFacts], merchants: Mapping[UUID, MerchantFacts]
) -> dict[UUID, OfferFacts]:
    """Each line's offer as the replica knows it, or the refusal of the first that is gone."""
    known = {}
    for line in lines:
        offer = offers.get(line.offer_id)
        if offer is None or offer.merchant_id != line.merchant_id or offer.kind != line.kind:
            raise OfferUnavailable(f"{line.title} is not offered here (any more); remove it", line.offer_id)
        if offer.withdrawn:
            name = merchants[line.merchant_id].name
            raise OfferUnavailable(f"{name} has withdrawn {line.title}; remove it from the basket", line.offer_id)
        known[offer.offer_id] = offer
    return known


def _price_change(line: BasketLine, offer: OfferFacts) -> PriceChange | None:
    if line.unit_price_cents == offer.price_cents:
        return None
    return PriceChange(line.line_id, line.offer_id, line.title, line.unit_price_cents, offer.price_cents)
