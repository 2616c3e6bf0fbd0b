"""Checkout: a basket becomes one order per merchant, linked by a checkout id.

Pure: what the replica knows of the catalog (:mod:`ordering.domain.facts`), the customer's
choices per merchant and the clock are handed in; the result says which events go to which
stream (the basket's, each order's), for the app to append in one unit of work. A price that
changed since the basket was filled is shown (:class:`PricesChanged`), never silently charged.
The catalog still has the last word on stock and slots: checkout refuses what the replica
already knows to fail, the saga settles the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from uuid import UUID, uuid5

from downtown_events.catalog import Address
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import (
    Fulfilment,
    OrderAccepted,
    OrderLine,
    OrderPlaced,
    Payment,
    PaymentMethod,
    PlacedBy,
    TimeSlot,
)
from ordering.domain.basket import Basket, BasketLine, ensure_exists, line_id, shown_title
from ordering.domain.errors import (
    AlreadyCheckedOut,
    InvalidChange,
    NotAllowed,
    NotYetKnown,
    OfferUnavailable,
    OutOfStock,
    PriceChange,
    PricesChanged,
    checked,
    euros,
)
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings, delivery_zone, within_windows
from ordering.domain.private_events import BasketCheckedOut, OrderCustomerRecorded


@dataclass(frozen=True)
class DeliveryChoice:
    """By the town's couriers to this address (where the merchant delivers and a zone covers it)."""

    address: Address = field(repr=False)
    note: str = field(default="", repr=False)


@dataclass(frozen=True)
class PickupChoice:
    """In front of the shop in ``window``. An order of services alone needs no window: it
    takes place at the services' booked times."""

    window: TimeSlot | None = None


@dataclass(frozen=True)
class PaymentChoice:
    """``voucher_cents`` paid by the voucher authorised as ``voucher_authorization_id`` (at
    vouchers, before checkout), the rest by ``method``."""

    method: PaymentMethod
    voucher_authorization_id: UUID | None = None
    voucher_cents: int = 0


@dataclass(frozen=True)
class MerchantChoice:
    fulfilment: DeliveryChoice | PickupChoice
    payment: PaymentChoice


@dataclass(frozen=True)
class CustomerDetails:
    """Who orders: a guest (``guest_token_hash``, the SHA-256 of the token their order link
    carries) or a signed-in customer (``account_id``). An assisted order may have neither,
    and a phone number instead of an e-mail address."""

    name: str = field(repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str = field(default="", repr=False)
    billing_address: Address | None = field(default=None, repr=False)
    account_id: UUID | None = None
    guest_token_hash: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AssistedLine:
    """A line a merchant or the association enters for a customer who phoned: at today's price."""

    offer_id: UUID
    quantity: int
    slot: TimeSlot | None = None


@dataclass(frozen=True)
class PlacedOrder:
    order_id: UUID
    placed: OrderPlaced
    events: tuple[IntegrationEvent, ...]
    """For the order's stream: ``OrderPlaced``, the private customer record, and for an order
    the merchant entered itself its ``OrderAccepted``."""


@dataclass(frozen=True)
class CheckoutDecision:
    checkout_id: UUID
    orders: tuple[PlacedOrder, ...]
    basket_events: tuple[IntegrationEvent, ...] = ()

    @property
    def total_cents(self) -> int:
        return sum(order.placed.total_cents for order in self.orders)

    @property
    def voucher_cents(self) -> int:
        return sum(order.placed.payment.voucher_cents for order in self.orders)


def order_id_for(checkout_id: UUID, merchant_id: UUID) -> UUID:
    """The order of one merchant in a checkout: a retried checkout names the same orders."""
    return uuid5(checkout_id, str(merchant_id))


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
) -> CheckoutDecision:
    """The basket's orders, one per merchant, each with its fulfilment and payment from
    ``choices`` (keyed by merchant id), or the first rule it breaks; every changed price is
    listed at once."""
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
    orders = tuple(
        _place_order(
            checkout_id,
            basket.lines_of(merchant_id),
            merchants[merchant_id],
            choices[merchant_id],
            customer,
            known,
            settings,
            now,
            "customer",
        )
        for merchant_id in basket.merchant_ids
    )
    checked_out = BasketCheckedOut(
        basket_id=basket.basket_id,
        checkout_id=checkout_id,
        order_ids=[order.order_id for order in orders],
        checked_out_at=now,
    )
    return CheckoutDecision(checkout_id, orders, (checked_out,))


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
) -> CheckoutDecision:
    """An order a merchant or the association enters for a customer who phoned, at today's
    prices, by the same rules as a checkout. One the merchant enters is accepted at once."""
    if not lines:
        raise InvalidChange("an order needs at least one line")
    _check_customer(customer, placed_by)
    basket_lines = []
    for line in lines:
        offer = offers.get(line.offer_id)
        if offer is None or offer.merchant_id != merchant_id:
            raise OfferUnavailable("this merchant offers no such thing (any more)", line.offer_id)
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
    order = _place_order(
        checkout_id, tuple(basket_lines), merchants[merchant_id], choice, customer, known, settings, now, placed_by
    )
    return CheckoutDecision(checkout_id, (order,))


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


def _place_order(
    checkout_id: UUID,
    lines: Sequence[BasketLine],
    merchant: MerchantFacts,
    choice: MerchantChoice,
    customer: CustomerDetails,
    offers: Mapping[UUID, OfferFacts],
    settings: TownSettings,
    now: datetime,
    placed_by: PlacedBy,
) -> PlacedOrder:
    _check_stock(lines, offers)
    for line in lines:
        if line.slot is not None:
            _check_slot(line.slot, offers[line.offer_id], settings, now)
    fulfilment = _fulfilment(choice.fulfilment, lines, merchant, settings, now)
    order_lines = [_order_line(line, offers[line.offer_id], merchant, settings) for line in lines]
    goods = sum(line.gross_cents for line in order_lines)
    total = goods + fulfilment.delivery_fee_cents
    payment = _payment(choice, customer, total, merchant)
    order_id = order_id_for(checkout_id, merchant.merchant_id)
    placed = checked(
        OrderPlaced,
        order_id=order_id,
        checkout_id=checkout_id,
        merchant_id=merchant.merchant_id,
        lines=order_lines,
        fulfilment=fulfilment,
        payment=payment,
        goods_cents=goods,
        total_cents=total,
        placed_by=placed_by,
        merchant_answer_by=now + settings.merchant_answer_time,
        cancellable_until=now + settings.cancellation_grace,
    )
    events: list[IntegrationEvent] = [placed, _customer_record(order_id, checkout_id, customer, choice.fulfilment)]
    if placed_by == "merchant":
        events.append(OrderAccepted(order_id=order_id, merchant_id=merchant.merchant_id))
    return PlacedOrder(order_id, placed, tuple(events))


def _check_stock(lines: Sequence[BasketLine], offers: Mapping[UUID, OfferFacts]) -> None:
    wanted = Counter[UUID]()
    for line in lines:
        wanted[line.offer_id] += line.quantity
    for offer_id, quantity in wanted.items():
        offer = offers[offer_id]
        if offer.stock is not None and quantity > offer.stock:
            title = shown_title(offer.title)
            left = f"only {offer.stock} left" if offer.stock else "none left"
            raise OutOfStock(f"{title}: {left}; lower the quantity", offer_id, offer.stock)


def _check_slot(slot: TimeSlot, offer: OfferFacts, settings: TownSettings, now: datetime) -> None:
    title = shown_title(offer.title)
    if slot.starts_at <= now:
        raise InvalidChange(f"the time chosen for {title} has passed; choose a later one")
    if offer.duration_minutes is not None and slot.ends_at - slot.starts_at != timedelta(
        minutes=offer.duration_minutes
    ):
        raise InvalidChange(f"{title} takes {offer.duration_minutes} minutes; choose a slot of that length")
    if not within_windows(slot, offer.weekly_availability, settings.timezone):
        raise InvalidChange(f"{title} cannot be booked at that time; choose a time in its bookable hours")


def _fulfilment(
    choice: DeliveryChoice | PickupChoice,
    lines: Sequence[BasketLine],
    merchant: MerchantFacts,
    settings: TownSettings,
    now: datetime,
) -> Fulfilment:
    if isinstance(choice, DeliveryChoice):
        if not merchant.offers_delivery:
            raise InvalidChange(f"{merchant.name} does not deliver; choose pickup")
        zone = delivery_zone(choice.address.postal_code, settings.delivery_fees_cents)
        if zone is None:
            raise InvalidChange(f"the town's couriers do not deliver to {choice.address.postal_code}; choose pickup")
        name, fee = zone
        return checked(Fulfilment, method="delivery", delivery_zone=name, delivery_fee_cents=fee)
    window = choice.window
    if window is None:
        if any(line.kind == "product" for line in lines):
            raise InvalidChange(f"choose when to pick up your order at {merchant.name}")
        return Fulfilment(method="pickup")
    if not merchant.offers_pickup:
        raise InvalidChange(f"{merchant.name} offers no pickup; choose delivery")
    if window.starts_at < now:
        raise InvalidChange("the pickup window lies in the past; choose a later one")
    if not within_windows(window, merchant.opening_hours, settings.timezone):
        raise InvalidChange(f"the pickup window lies outside {merchant.name}'s opening hours; choose another")
    return Fulfilment(method="pickup", pickup_window=window)


def _order_line(line: BasketLine, offer: OfferFacts, merchant: MerchantFacts, settings: TownSettings) -> OrderLine:
    return checked(
        OrderLine,
        offer_id=line.offer_id,
        kind=line.kind,
        title=shown_title(offer.title),
        quantity=line.quantity,
        unit_price_cents=line.unit_price_cents,
        vat_rate_percent=merchant.vat_percent(offer, settings.standard_vat_percent),
        slot=line.slot,
    )


def _payment(choice: MerchantChoice, customer: CustomerDetails, total: int, merchant: MerchantFacts) -> Payment:
    paying = choice.payment
    voucher = paying.voucher_cents
    if voucher < 0:
        raise InvalidChange("a voucher part is 0 or more")
    if (voucher > 0) != (paying.voucher_authorization_id is not None):
        raise InvalidChange("a voucher part needs the voucher's authorisation, and an authorisation a part to pay")
    if voucher > total:
        raise InvalidChange(f"the voucher part {euros(voucher)} exceeds the order's total {euros(total)}")
    method = paying.method
    if voucher == total > 0:
        method = "voucher"  # nothing is left to pay by another method
    elif method == "voucher":
        raise InvalidChange(f"the voucher pays {euros(voucher)} of {euros(total)}; choose how to pay the rest")
    delivery = isinstance(choice.fulfilment, DeliveryChoice)
    if method == "at_pickup" and delivery:
        raise InvalidChange("payment at pickup needs pickup; with delivery pay at the door or on invoice")
    if method in ("cash_at_door", "card_at_door") and not delivery:
        raise InvalidChange(f"payment at the door needs delivery; at {merchant.name} pay at pickup or on invoice")
    if method == "invoice" and not delivery and customer.billing_address is None:
        raise InvalidChange("an invoice needs your address; give a billing address")
    return Payment(method=method, voucher_authorization_id=paying.voucher_authorization_id, voucher_cents=voucher)


def _customer_record(
    order_id: UUID, checkout_id: UUID, customer: CustomerDetails, fulfilment: DeliveryChoice | PickupChoice
) -> OrderCustomerRecorded:
    delivery = fulfilment if isinstance(fulfilment, DeliveryChoice) else None
    return checked(
        OrderCustomerRecorded,
        order_id=order_id,
        checkout_id=checkout_id,
        name=customer.name.strip(),
        email=customer.email,
        phone=customer.phone.strip(),
        delivery_address=delivery.address if delivery else None,
        delivery_note=delivery.note if delivery else "",
        billing_address=customer.billing_address,
        account_id=customer.account_id,
        guest_token_hash=customer.guest_token_hash,
    )
