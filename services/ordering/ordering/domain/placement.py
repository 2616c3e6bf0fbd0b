# SPDX-License-Identifier: AGPL-3.0-or-later
"""One merchant's order at checkout: its lines priced and taxed, its stock, slots,
fulfilment and payment checked against what the replica knows, and the events that place it.
Shared by a customer's checkout and an assisted order (see :mod:`ordering.domain.checkout`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import DeliveryTermsSet
from downtown_events.money import format_money
from downtown_events.ordering import Fulfilment, OrderAccepted, OrderLine, OrderPlaced, Payment, PlacedBy
from ordering.domain.answer_time import answer_deadline
from ordering.domain.basket import BasketLine, shown_title
from ordering.domain.choices import CustomerDetails, DeliveryChoice, MerchantChoice, PickupChoice
from ordering.domain.courier_delivery import CourierDelivery, Door, plan_delivery
from ordering.domain.errors import InvalidChange, OutOfStock, checked
from ordering.domain.facts import (
    POSTAL_CODE,
    MerchantFacts,
    OfferFacts,
    TownSettings,
    as_utc,
    delivery_zone,
    within_windows,
)
from ordering.domain.invoice_issuer import ensure_takes_invoices
from ordering.domain.private_events import OrderCustomerRecorded
from ordering.domain.slots import check_slot


@dataclass(frozen=True)
class PlacedOrder:
    order_id: UUID
    placed: OrderPlaced
    events: tuple[IntegrationEvent, ...]
    """For the order's stream: ``OrderPlaced``, the private customer record, and for an order
    the merchant entered itself its ``OrderAccepted``."""


def order_id_for(checkout_id: UUID, merchant_id: UUID) -> UUID:
    """The order of one merchant in a checkout: a retried checkout names the same orders."""
    return uuid5(checkout_id, str(merchant_id))


def place_order(
    checkout_id: UUID,
    lines: Sequence[BasketLine],
    merchant: MerchantFacts,
    choice: MerchantChoice,
    customer: CustomerDetails,
    offers: Mapping[UUID, OfferFacts],
    settings: TownSettings,
    now: datetime,
    placed_by: PlacedBy,
    courier: CourierDelivery | None = None,
) -> PlacedOrder:
    """``courier``: the checkout's delivery by the town's couriers on dispatch's terms, which a
    delivery order of this merchant joins (None: no terms; the town's settings decide)."""
    _check_stock(lines, offers)
    if customer.guest_token_hash is not None and settings.guest_units_per_offer is not None:
        _check_guest_units(lines, offers, settings.guest_units_per_offer)
    for line in lines:
        if line.slot is not None:
            check_slot(line.slot, offers[line.offer_id], settings, now)
    fulfilment = _fulfilment(choice.fulfilment, lines, merchant, settings, now, courier)
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
        merchant_answer_by=answer_deadline(
            now,
            merchant.opening_hours,
            settings.timezone,
            open_time=settings.merchant_answer_time,
            fallback=settings.merchant_answer_fallback,
        ),
        answers_by=now + settings.answers_time,
        cancellable_until=now + settings.cancellation_grace,
    )
    events: list[IntegrationEvent] = [placed, _customer_record(order_id, checkout_id, customer, choice.fulfilment)]
    if placed_by == "merchant":
        events.append(OrderAccepted(order_id=order_id, merchant_id=merchant.merchant_id))
    return PlacedOrder(order_id, placed, tuple(events))


def courier_delivery(
    terms: DeliveryTermsSet | None,
    merchant_ids: Sequence[UUID],
    choices: Mapping[UUID, MerchantChoice],
    merchants: Mapping[UUID, MerchantFacts],
    lines: Sequence[BasketLine],
    settings: TownSettings,
    now: datetime,
) -> CourierDelivery | None:
    """The one delivery of a checkout's orders that go by courier, on dispatch's terms (None:
    no terms, or nothing to deliver). Of the shops that deliver, in the checkout's order."""
    deliveries = {
        merchant_id: choice
        for merchant_id in merchant_ids
        if isinstance(choice := choices[merchant_id].fulfilment, DeliveryChoice)
        and merchants[merchant_id].offers_delivery
    }
    if terms is None or not deliveries:
        return None
    goods = sum(line.gross_cents for line in lines if line.merchant_id in deliveries)
    return plan_delivery(
        terms,
        {merchant_id: Door(choice.address, choice.pin) for merchant_id, choice in deliveries.items()},
        {merchant_id: choice.slot for merchant_id, choice in deliveries.items()},
        merchants,
        goods,
        settings,
        now,
    )


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


def _check_guest_units(lines: Sequence[BasketLine], offers: Mapping[UUID, OfferFacts], most: int) -> None:
    """A guest's order holds the stock it names until the merchant answers: a cap per counted
    product keeps one checkout from holding all of it (an account may order more)."""
    wanted = Counter[UUID]()
    for line in lines:
        if offers[line.offer_id].stock is not None:
            wanted[line.offer_id] += line.quantity
    for offer_id, quantity in wanted.items():
        if quantity > most:
            title = shown_title(offers[offer_id].title)
            raise InvalidChange(
                f"{title}: a guest orders at most {most} at once; lower the quantity, or sign in to order more"
            )


def _fulfilment(
    choice: DeliveryChoice | PickupChoice,
    lines: Sequence[BasketLine],
    merchant: MerchantFacts,
    settings: TownSettings,
    now: datetime,
    courier: CourierDelivery | None,
) -> Fulfilment:
    if isinstance(choice, DeliveryChoice):
        if not merchant.offers_delivery:
            raise InvalidChange(f"{merchant.name} does not deliver; choose pickup")
        if not POSTAL_CODE.fullmatch(choice.address.postal_code.strip()):
            raise InvalidChange(
                f"a postal code has five digits (such as 48624), not {choice.address.postal_code!r}; check the address"
            )
        if courier is not None:
            return courier.fulfilment(merchant.merchant_id)
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
    if as_utc(window.starts_at) < as_utc(now):
        raise InvalidChange("the pickup window lies in the past; choose a later one")
    if as_utc(window.starts_at) > as_utc(now) + settings.pickup_horizon:
        raise InvalidChange(
            f"a pickup window lies at most {settings.pickup_horizon.days} days ahead; choose an earlier one"
        )
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
        held=None if offer.kind == "product" else ("video" if offer.video_consultation else "in_person"),
    )


def _payment(choice: MerchantChoice, customer: CustomerDetails, total: int, merchant: MerchantFacts) -> Payment:
    paying = choice.payment
    voucher = paying.voucher_cents
    if voucher < 0:
        raise InvalidChange("a voucher part is 0 or more")
    if (voucher > 0) != (paying.voucher_authorization_id is not None):
        raise InvalidChange("a voucher part needs the voucher's authorisation, and an authorisation a part to pay")
    if voucher > total:
        raise InvalidChange(
            f"the voucher part {format_money(voucher, 'en')} exceeds the order's total {format_money(total, 'en')}"
        )
    method = paying.method
    if voucher == total > 0:
        method = "voucher"  # nothing is left to pay by another method
    elif method == "voucher":
        raise InvalidChange(
            f"the voucher pays {format_money(voucher, 'en')} of {format_money(total, 'en')}; choose how to pay the rest"
        )
    delivery = isinstance(choice.fulfilment, DeliveryChoice)
    if method == "at_pickup" and delivery:
        raise InvalidChange("payment at pickup needs pickup; with delivery pay at the door or on invoice")
    if method in ("cash_at_door", "card_at_door") and not delivery:
        raise InvalidChange(f"payment at the door needs delivery; at {merchant.name} pay at pickup or on invoice")
    if method == "invoice":
        ensure_takes_invoices(merchant)
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
        delivery_pin=delivery.pin if delivery else None,
        billing_address=customer.billing_address,
        account_id=customer.account_id,
        guest_token_hash=customer.guest_token_hash,
        language=customer.language,
    )
