# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a shop offers at checkout is what checkout accepts there: on invoice only at a shop the
association approved that has a tax number and an address."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from downtown_events.catalog import Address, TimeWindow
from downtown_events.ordering import FulfilmentMethod, PaymentMethod, TimeSlot
from ordering.domain import basket as baskets
from ordering.domain.checkout import (
    CustomerDetails,
    DeliveryChoice,
    MerchantChoice,
    PaymentChoice,
    PickupChoice,
    check_out,
)
from ordering.domain.checkout_options import checkout_options
from ordering.domain.errors import DomainError
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)  # a Monday
HOME = Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen")
SHOP = MerchantFacts(
    uuid4(),
    "Buchhandlung am Markt",
    offers_delivery=True,
    opening_hours=tuple(TimeWindow(weekday=day, opens=time(9), closes=time(18)) for day in range(6)),
    approved=True,
    tax_number="DE294551230",
    address=Address(street="Am Markt 5", postal_code="48624", city="Schöppingen"),
)
BOOK = OfferFacts(uuid4(), SHOP.merchant_id, "product", "Stadtgeschichte", 1850, stock=5)
WINDOW = TimeSlot(starts_at=NOW + timedelta(days=1, hours=3), ends_at=NOW + timedelta(days=1, hours=4))
CUSTOMER = CustomerDetails(
    name="Anna Beispiel", email="anna@example.de", guest_token_hash="0" * 64, billing_address=HOME
)
METHODS: tuple[PaymentMethod, ...] = ("invoice", "at_pickup", "cash_at_door", "card_at_door")


def accepted(merchant: MerchantFacts, fulfilment: FulfilmentMethod, method: PaymentMethod) -> bool:
    opened = baskets.open_basket(None, basket_id=uuid4(), access_token_hash=CUSTOMER.guest_token_hash, now=NOW)
    put = baskets.put(
        baskets.replay(opened),
        offer_id=BOOK.offer_id,
        merchant_id=SHOP.merchant_id,
        kind="product",
        title=BOOK.title,
        quantity=1,
        unit_price_cents=BOOK.price_cents,
    )
    state = baskets.replay([*opened, *put])
    choice = DeliveryChoice(HOME) if fulfilment == "delivery" else PickupChoice(WINDOW)
    try:
        check_out(
            state,
            checkout_id=uuid4(),
            customer=CUSTOMER,
            choices={merchant.merchant_id: MerchantChoice(choice, PaymentChoice(method))},
            offers={BOOK.offer_id: BOOK},
            merchants={merchant.merchant_id: merchant},
            settings=TownSettings(timezone=BERLIN, delivery_fees_cents={"48624": 390}),
            now=NOW,
        )
    except DomainError:
        return False
    return True


@pytest.mark.parametrize(
    "merchant",
    [
        SHOP,
        replace(SHOP, approved=False),
        replace(SHOP, tax_number=""),
        replace(SHOP, address=None),
        replace(SHOP, offers_delivery=False),
        replace(SHOP, offers_pickup=False),
    ],
    ids=["approved", "not-approved", "no-tax-number", "no-address", "pickup-only", "delivery-only"],
)
def test_the_options_are_what_checkout_accepts(merchant: MerchantFacts) -> None:
    options = checkout_options(merchant)
    for fulfilment in ("pickup", "delivery"):
        offered = options.payment_methods.get(fulfilment, ())  # type: ignore[call-overload]
        for method in METHODS:
            assert (method in offered) == accepted(merchant, fulfilment, method), (fulfilment, method)  # type: ignore[arg-type]


def test_a_shop_that_cannot_issue_invoices_does_not_offer_them_and_says_why() -> None:
    assert checkout_options(SHOP).payment_methods == {
        "pickup": ("at_pickup", "invoice"),
        "delivery": ("cash_at_door", "card_at_door", "invoice"),
    }
    assert checkout_options(SHOP).not_on_invoice is None and checkout_options(SHOP).taking_orders
    unapproved = checkout_options(replace(SHOP, approved=False))
    assert unapproved.payment_methods["pickup"] == ("at_pickup",)
    assert unapproved.not_on_invoice == (
        "Buchhandlung am Markt takes no orders on invoice: the town's association has not approved it for payments"
    )
    assert not checkout_options(replace(SHOP, closed=True)).taking_orders
