# SPDX-License-Identifier: AGPL-3.0-or-later
"""An offer carries the VAT rate its price includes: German law's default for its category
unless the merchant sets one, changed later by an event of its own."""

from __future__ import annotations

from uuid import uuid4

import pytest

from catalog.domain import offer as offers
from catalog.domain.errors import InvalidChange
from catalog.domain.merchant import Merchant
from catalog.domain.offer import OfferDetails
from catalog.domain.vat import default_vat_percent
from downtown_events.catalog import (
    Address,
    MerchantProfile,
    OfferListed,
    OfferVatRateChanged,
    TimeWindow,
)


@pytest.mark.parametrize(
    "category",
    [
        "Bücher",
        "Buchhandlung",
        "Kochbücher",
        "Zeitungen & Zeitschriften",
        "Brot",
        "Vollkornbrot",
        "Bäckerei & Café",
        "Käse",
        "Obst und Gemüse",
        "Blumen",
        "Pflanzen",
        "Kräutertee",
        "Lebensmittel",
    ],
)
def test_food_books_newspapers_flowers_and_plants_are_7_percent(category: str) -> None:
    assert default_vat_percent("product", category) == 7


@pytest.mark.parametrize(
    "category",
    ["Wein & Spirituosen", "Wein", "Sekt", "Fahrräder", "Mode", "Brotdose", "Teekanne", "Spielwaren", ""],
)
def test_drinks_and_everything_else_are_19_percent(category: str) -> None:
    assert default_vat_percent("product", category) == 19


@pytest.mark.parametrize(
    ("category", "rate"),
    [
        ("Nachhilfe", 19),
        ("Friseur", 19),
        ("Musik für Hochzeiten", 19),
        ("Bücher", 19),  # a service of a bookshop (a reading advice) is no book
        ("Konzert", 7),
        ("Theater", 7),
        ("Ferienwohnung", 7),
    ],
)
def test_a_service_is_19_percent_unless_the_law_names_it(category: str, rate: int) -> None:
    assert default_vat_percent("service", category) == rate


MERCHANT = Merchant(
    uuid4(),
    MerchantProfile(
        name="Buchhandlung am Markt",
        category="Bücher",
        address=Address(street="Am Markt 5", postal_code="48624", city="Schöppingen"),
        phone="+49 2555 7731",
        email="buch@example.de",
    ),
)
HOURS = [TimeWindow.model_validate({"weekday": 0, "opens": "09:00", "closes": "12:00"})]


def test_a_listing_without_a_rate_gets_its_categorys_and_the_merchants_category_counts() -> None:
    (book,) = offers.list_product(None, MERCHANT, uuid4(), OfferDetails("Der Stechlin"), 1490, 3)
    (wine,) = offers.list_product(None, MERCHANT, uuid4(), OfferDetails("Riesling", category="Wein"), 1290, 3)
    assert isinstance(book, OfferListed) and (book.category, book.vat_percent) == ("Bücher", 7)
    assert isinstance(wine, OfferListed) and wine.vat_percent == 19


def test_the_merchants_rate_wins_over_the_default() -> None:
    (listed,) = offers.list_product(None, MERCHANT, uuid4(), OfferDetails("Kalender"), 1290, None, vat_percent=19)
    assert isinstance(listed, OfferListed) and listed.vat_percent == 19
    (service,) = offers.list_service(None, MERCHANT, uuid4(), OfferDetails("Lesung"), 800, 60, HOURS, vat_percent=7)
    assert isinstance(service, OfferListed) and service.vat_percent == 7


def test_a_rate_is_changed_by_an_event_and_changing_it_to_itself_changes_nothing() -> None:
    offer_id = uuid4()
    listed = offers.list_product(None, MERCHANT, offer_id, OfferDetails("Kalender", category="Bücher"), 1290, None)
    offer = offers.replay(listed)
    assert offer is not None and offer.vat_percent == 7
    assert offers.change_vat_rate(offer, MERCHANT.merchant_id, 7) == []
    (changed,) = offers.change_vat_rate(offer, MERCHANT.merchant_id, 19)
    assert changed == OfferVatRateChanged(
        offer_id=offer_id, merchant_id=MERCHANT.merchant_id, vat_percent=19, previous_vat_percent=7
    )
    after = offers.replay([*listed, changed])
    assert after is not None and (after.vat_percent, after.price_cents) == (19, 1290)


def test_only_the_owner_changes_a_rate_and_not_of_a_withdrawn_offer() -> None:
    offer_id = uuid4()
    listed = offers.list_product(None, MERCHANT, offer_id, OfferDetails("Kalender"), 1290, None)
    withdrawn = offers.withdraw(offers.replay(listed), MERCHANT.merchant_id, "")
    with pytest.raises(InvalidChange, match="withdrawn"):
        offers.change_vat_rate(offers.replay([*listed, *withdrawn]), MERCHANT.merchant_id, 19)
    with pytest.raises(Exception, match="no such offer"):
        offers.change_vat_rate(offers.replay(listed), uuid4(), 19)


def test_an_offer_listed_before_offers_carried_a_rate_has_none() -> None:
    old = OfferListed.model_validate(
        {"offer_id": uuid4(), "merchant_id": MERCHANT.merchant_id, "kind": "product", "title": "Brot", "price_cents": 1}
    )
    offer = offers.replay([old])
    assert offer is not None and (offer.vat_percent, offer.held) == (None, "in_person")
