# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town catalog: every listed offer, searchable in German, beside its merchant's flags.

Two tables, each fed by one stream kind, so no cross-partition ordering is assumed:
``catalog_offers`` only by offer events (keyed by offer, in stream order) and
``catalog_merchants`` only by merchant events. The search query joins them.

Photos: an offer shows one photo, the latest added (the first one until another comes);
earlier photos are not kept here because the catalog only ever shows one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from catalog.projections.compounds import compound_parts
from downtown_events.catalog import (
    MERCHANT_EVENTS,
    OFFER_EVENTS,
    MerchantAvailabilityNoted,
    MerchantClosed,
    MerchantProfile,
    MerchantProfileChanged,
    MerchantRegistered,
    MerchantReinstated,
    MerchantReopened,
    MerchantSuspended,
    MerchantTokensRevoked,
    OfferDetailsChanged,
    OfferListed,
    OfferPhotoAdded,
    OfferPriceChanged,
    OfferStockAdjusted,
    OfferVatRateChanged,
    OfferWithdrawn,
    OpeningHoursChanged,
)
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

OFFERS = Table(
    name="catalog_offers",
    key="offer_id",
    columns={
        "offer_id": "uuid",
        "merchant_id": "uuid",
        "kind": "text",
        "title": "text",
        "description": "text",
        "category": "text",
        "price_cents": "integer",
        "currency": "text",
        "stock": "integer",
        "duration_minutes": "integer",
        "weekly_availability": "jsonb",
        "photo_id": "text",
        "photo_variants": "jsonb",
        "listed_at": "timestamptz",
        "updated_at": "timestamptz",
        "vat_percent": "integer",  # null: listed before offers carried a rate (or a row from before a rebuild)
        "held": "text",  # in_person or video; null in a row written before, until a rebuild
        # The parts of the compounds in each text ("bügel schloss"), found in Python when the
        # row is written (see compounds): null in rows written before they existed, until a
        # rebuild. The search document weighs them as the text they come from.
        "title_parts": "text",
        "category_parts": "text",
        "description_parts": "text",
    },
    extra_columns={
        "search": "tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('german', coalesce(title, '') || ' ' || coalesce(title_parts, '')), 'A') || "
        "setweight(to_tsvector('german', coalesce(category, '') || ' ' || coalesce(category_parts, '')), 'B') || "
        "setweight(to_tsvector('german', coalesce(description, '') || ' ' || coalesce(description_parts, '')), 'C')"
        ") STORED",
        # What a misspelt query is compared with by trigram similarity when the full-text
        # search finds nothing: the title, its parts and the category (not the description:
        # in a long text nearly any short word is similar to something).
        "fuzzy": "text GENERATED ALWAYS AS ("
        "coalesce(title, '') || ' ' || coalesce(title_parts, '') || ' ' || coalesce(category, '')) STORED",
    },
    indexes=(
        "{table} USING gin (search)",
        "{table} (merchant_id)",
        "{table} (category)",
        "{table} (price_cents)",
        "{table} USING gin (fuzzy gin_trgm_ops)",  # pg_trgm: the catalog's migration creates it
    ),
)

MERCHANTS = Table(
    name="catalog_merchants",
    key="merchant_id",
    columns={
        "merchant_id": "uuid",
        "name": "text",
        "category": "text",
        "city": "text",
        "status": "text",
        "closed": "boolean",
        "suspended": "boolean",
        "offers_delivery": "boolean",
        "offers_pickup": "boolean",
        "sells_vouchers": "boolean",
    },
    extra_columns={
        "search": "tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('german', coalesce(name, '')), 'A') || "
        "setweight(to_tsvector('german', coalesce(category, '')), 'B')) STORED",
    },
    indexes=("{table} USING gin (search)",),
)

# Opening hours and the day's availability note are the directory's business, not the catalog's.
_MERCHANT_EVENTS = tuple(
    kind
    for kind in MERCHANT_EVENTS
    if kind not in {OpeningHoursChanged, MerchantAvailabilityNoted, MerchantTokensRevoked}
)
_OFFER_EVENTS = OFFER_EVENTS


class TownCatalog(Projection):
    """Offers and the merchant facts a customer filters them by (status, delivery, pickup)."""

    name = "town_catalog"
    event_types = (*_OFFER_EVENTS, *_MERCHANT_EVENTS)
    tables = (OFFERS, MERCHANTS)
    parallel_rebuild = True  # every row is its own stream's (keyed by it), so partitions fold apart

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data = event.event
        if isinstance(data, _OFFER_EVENTS):
            return [(OFFERS, data.offer_id)]
        if isinstance(data, _MERCHANT_EVENTS):
            return [(MERCHANTS, data.merchant_id)]
        return []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data = event.event
        if type(data) in _OFFER_CHANGES:  # most of a log: prices, stock, photos, details
            _change_offer(rows, data, event)
        elif isinstance(data, OfferListed):
            rows.put(OFFERS, _listed_offer(data, event))
        elif isinstance(data, OfferWithdrawn):
            rows.delete(OFFERS, data.offer_id)
        elif isinstance(data, _OFFER_EVENTS):
            _change_offer(rows, data, event)
        elif isinstance(data, MerchantRegistered):
            rows.put(MERCHANTS, _merchant(data.merchant_id, data.profile, closed=False, suspended=False))
        elif isinstance(data, _MERCHANT_EVENTS):
            _change_merchant(rows, data)


def _listed_offer(data: OfferListed, event: ReceivedEvent) -> Row:
    return {
        "offer_id": data.offer_id,
        "merchant_id": data.merchant_id,
        "kind": data.kind,
        "title": data.title,
        "description": data.description,
        "category": data.category,
        "price_cents": data.price_cents,
        "currency": data.currency,
        "stock": data.stock,
        "duration_minutes": data.duration_minutes,
        "weekly_availability": [window.model_dump(mode="json") for window in data.weekly_availability],
        "photo_id": None,
        "photo_variants": None,
        "listed_at": event.envelope.time,
        "updated_at": event.envelope.time,
        "vat_percent": data.vat_percent,
        "held": data.held,
        **_parts(data.title, data.category, data.description),
    }


def _parts(title: str, category: str, description: str) -> Row:
    """The compound parts of an offer's texts, found again whenever a text changes."""
    return {
        "title_parts": compound_parts(title),
        "category_parts": compound_parts(category),
        "description_parts": compound_parts(description),
    }


def _change_offer(rows: RowSet, data: Any, event: ReceivedEvent) -> None:
    row = rows.get(OFFERS, data.offer_id)
    if row is None:  # consumers apply a stream in order, so only a listed offer changes
        return
    change = _OFFER_CHANGES.get(type(data)) or next(
        (change for kind, change in _OFFER_CHANGES.items() if isinstance(data, kind)), None
    )
    if change is not None:
        change(row, data)
    row["updated_at"] = event.envelope.time
    rows.put(OFFERS, row)


def _details_changed(row: Row, data: OfferDetailsChanged) -> None:
    row.update(title=data.title, description=data.description, category=data.category)
    row.update(_parts(data.title, data.category, data.description))


def _price_changed(row: Row, data: OfferPriceChanged) -> None:
    row["price_cents"] = data.price_cents
    row["currency"] = data.currency


def _photo_added(row: Row, data: OfferPhotoAdded) -> None:
    row.update(photo_id=data.photo_id, photo_variants=[v.model_dump(mode="json") for v in data.variants])


def _stock_adjusted(row: Row, data: OfferStockAdjusted) -> None:
    row["stock"] = data.stock  # the event carries the resulting stock: no arithmetic to drift


def _vat_rate_changed(row: Row, data: OfferVatRateChanged) -> None:
    row["vat_percent"] = data.vat_percent


_OFFER_CHANGES: dict[type, Callable[[Row, Any], None]] = {
    OfferDetailsChanged: _details_changed,
    OfferPriceChanged: _price_changed,
    OfferPhotoAdded: _photo_added,
    OfferStockAdjusted: _stock_adjusted,
    OfferVatRateChanged: _vat_rate_changed,
}
"""How each change of a listed offer changes its row (looked up by the event's type)."""


def _merchant(merchant_id: Any, profile: MerchantProfile, *, closed: bool, suspended: bool) -> Row:
    return {
        "merchant_id": merchant_id,
        "name": profile.name,
        "category": profile.category,
        "city": profile.address.city,
        "status": _status(closed=closed, suspended=suspended),
        "closed": closed,
        "suspended": suspended,
        "offers_delivery": profile.offers_delivery,
        "offers_pickup": profile.offers_pickup,
        "sells_vouchers": profile.sells_vouchers,
    }


def _change_merchant(rows: RowSet, data: Any) -> None:
    row = rows.get(MERCHANTS, data.merchant_id)
    if row is None:  # a merchant stream starts with MerchantRegistered
        return
    if isinstance(data, MerchantProfileChanged):
        row = _merchant(data.merchant_id, data.profile, closed=row["closed"], suspended=row["suspended"])
    elif isinstance(data, MerchantClosed | MerchantReopened):
        row["closed"] = isinstance(data, MerchantClosed)
    elif isinstance(data, MerchantSuspended | MerchantReinstated):
        row["suspended"] = isinstance(data, MerchantSuspended)
    row["status"] = _status(closed=row["closed"], suspended=row["suspended"])
    rows.put(MERCHANTS, row)


def _status(*, closed: bool, suspended: bool) -> str:
    """Suspension is the association's decision and outranks the merchant's own closing."""
    if suspended:
        return "suspended"
    return "closed" if closed else "open"
