# SPDX-License-Identifier: AGPL-3.0-or-later
"""Realistic catalog events for the benchmarks: what a high street's merchants write."""

from __future__ import annotations

import random
from datetime import time
from uuid import UUID

from downtown_events.catalog import (
    Address,
    MerchantProfile,
    MerchantRegistered,
    OfferListed,
    OfferPriceChanged,
    OfferStockAdjusted,
    TimeWindow,
)

_TRADES = [
    ("Bäckerei", "Backwaren"),
    ("Weinhandlung", "Wein & Spirituosen"),
    ("Buchhandlung", "Bücher"),
    ("Käserei", "Lebensmittel"),
    ("Blumenladen", "Blumen"),
]
_GOODS = ["Bergkäse", "Roggenbrot", "Riesling", "Krimi", "Tulpenstrauß", "Kerze", "Honig", "Kaffee", "Wolle", "Seife"]
_DESCRIPTION = "Aus der Region, frisch für Sie ausgesucht. Fragen Sie gern im Laden nach weiteren Sorten."


def merchant_registered(merchant_id: UUID, rng: random.Random) -> MerchantRegistered:
    trade, category = rng.choice(_TRADES)
    return MerchantRegistered(
        merchant_id=merchant_id,
        profile=MerchantProfile(
            name=f"{trade} {rng.choice(['Böckmann', 'Hölscher', 'Schulte', 'Wessels'])} {rng.randrange(1000)}",
            category=category,
            address=Address(street=f"Hauptstraße {rng.randrange(1, 200)}", postal_code="48624", city="Schöppingen"),
            phone="+49 2555 1234",
            email="info@laden.example",
            offers_delivery=rng.random() < 0.5,
        ),
        opening_hours=[TimeWindow(weekday=day, opens=time(9), closes=time(18, 30)) for day in range(6)],
    )


def offer_listed(offer_id: UUID, merchant_id: UUID, rng: random.Random, *, stock: int = 20) -> OfferListed:
    good = rng.choice(_GOODS)
    return OfferListed(
        offer_id=offer_id,
        merchant_id=merchant_id,
        kind="product",
        title=f"{good} Nr. {rng.randrange(10_000)}",
        description=_DESCRIPTION,
        category="Lebensmittel",
        price_cents=rng.randrange(100, 10_000),
        stock=stock,
    )


def stock_adjusted(offer_id: UUID, merchant_id: UUID, stock: int, delta: int) -> OfferStockAdjusted:
    """``stock`` is the stock *after* the adjustment, as the catalog records it."""
    return OfferStockAdjusted(offer_id=offer_id, merchant_id=merchant_id, delta=delta, stock=stock, reason="Verkauf")


def price_changed(offer_id: UUID, merchant_id: UUID, price_cents: int, previous: int) -> OfferPriceChanged:
    return OfferPriceChanged(
        offer_id=offer_id, merchant_id=merchant_id, price_cents=price_cents, previous_price_cents=previous
    )
