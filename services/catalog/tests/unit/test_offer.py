# SPDX-License-Identifier: AGPL-3.0-or-later
"""Offers: products with stock and photos, bookable services; what may change and how."""

from __future__ import annotations

from datetime import time
from uuid import uuid4

import pytest

from catalog.domain import merchant, offer
from catalog.domain.errors import AlreadyExists, InvalidChange, NotFound
from catalog.domain.offer import OfferDetails
from downtown_events.catalog import (
    Address,
    MerchantProfile,
    OfferListed,
    OfferPriceChanged,
    OfferStockAdjusted,
    OfferWithdrawn,
    PhotoVariant,
    TimeWindow,
)

PROFILE = MerchantProfile(
    name="Weinhandlung",
    category="Wein",
    phone="0251 1",
    email="w@example.de",
    address=Address(street="Markt 1", postal_code="48143", city="Münster"),
)
SELLER = merchant.Merchant(uuid4(), PROFILE, version=1)
VARIANTS = [PhotoVariant(name="thumb", width=320, height=240, content_type="image/jpeg")]


def product(stock: int | None = 6) -> offer.Offer:
    listed = offer.list_product(None, SELLER, uuid4(), OfferDetails("Riesling"), 1290, stock)
    state = offer.replay(listed)
    assert state is not None
    return state


def test_a_product_takes_the_merchants_category_when_none_is_given() -> None:
    (listed,) = offer.list_product(None, SELLER, uuid4(), OfferDetails("Riesling"), 1290, 6)
    assert isinstance(listed, OfferListed)
    assert (listed.kind, listed.category, listed.price_cents, listed.stock) == ("product", "Wein", 1290, 6)


def test_listing_the_same_offer_twice_is_refused() -> None:
    with pytest.raises(AlreadyExists):
        offer.list_product(product(), SELLER, uuid4(), OfferDetails("Riesling"), 1290, None)


def test_a_service_needs_hours_and_a_sensible_duration() -> None:
    window = [TimeWindow(weekday=1, opens=time(14), closes=time(18))]
    with pytest.raises(InvalidChange, match="time window"):
        offer.list_service(None, SELLER, uuid4(), OfferDetails("Nachhilfe"), 3500, 60, [])
    with pytest.raises(InvalidChange, match="duration"):
        offer.list_service(None, SELLER, uuid4(), OfferDetails("Nachhilfe"), 3500, 0, window)
    (listed,) = offer.list_service(None, SELLER, uuid4(), OfferDetails("Nachhilfe"), 3500, 60, window)
    assert isinstance(listed, OfferListed) and listed.kind == "service" and listed.duration_minutes == 60


def test_repricing_records_the_previous_price_and_ignores_no_change() -> None:
    state = product()
    assert offer.change_price(state, SELLER.merchant_id, 1290) == []
    (changed,) = offer.change_price(state, SELLER.merchant_id, 990)
    assert isinstance(changed, OfferPriceChanged) and changed.previous_price_cents == 1290


def test_stock_never_goes_below_zero() -> None:
    state = product(stock=2)
    with pytest.raises(InvalidChange, match="only 2 in stock"):
        offer.adjust_stock(state, SELLER.merchant_id, -3, "verkauft")
    (adjusted,) = offer.adjust_stock(state, SELLER.merchant_id, -2, "verkauft")
    assert isinstance(adjusted, OfferStockAdjusted) and adjusted.stock == 0


def test_another_merchants_offer_looks_absent() -> None:
    with pytest.raises(NotFound):
        offer.change_price(product(), uuid4(), 100)


def test_a_withdrawn_offer_cannot_change_but_withdrawing_again_is_harmless() -> None:
    state = product()
    (withdrawn,) = offer.withdraw(state, SELLER.merchant_id, "ausverkauft")
    state = offer.evolve(state, withdrawn)
    assert isinstance(withdrawn, OfferWithdrawn) and withdrawn.kind == "product"
    assert offer.withdraw(state, SELLER.merchant_id, "") == []
    with pytest.raises(InvalidChange, match="withdrawn"):
        offer.change_price(state, SELLER.merchant_id, 100)


def test_the_same_photo_is_added_once_and_at_most_ten_photos() -> None:
    state = product()
    for n in range(offer.MAX_PHOTOS):
        state = offer.evolve(state, offer.add_photo(state, SELLER.merchant_id, f"{n:064x}", VARIANTS)[0])
    assert offer.add_photo(state, SELLER.merchant_id, f"{0:064x}", VARIANTS) == []
    with pytest.raises(InvalidChange, match="at most 10"):
        offer.add_photo(state, SELLER.merchant_id, "f" * 64, VARIANTS)


@pytest.mark.parametrize(
    ("title", "filename", "expected"),
    [
        ("  Riesling ", "IMG_0042.HEIC", "Riesling"),
        ("", "IMG_0042.HEIC", "Neues Angebot"),
        ("", "Bergkäse_am_Stück.jpg", "Bergkäse am Stück"),
        ("", None, "Neues Angebot"),
    ],
)
def test_a_listing_without_a_title_gets_a_sensible_one(title: str, filename: str | None, expected: str) -> None:
    assert offer.title_or_default(title, filename) == expected
