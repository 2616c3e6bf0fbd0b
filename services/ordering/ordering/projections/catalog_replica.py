# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's own replica of the town's catalog, kept from the catalog's events.

Checkout prices, availability and merchant status come from here, never from a call to
the catalog: offers (price, its VAT rate, stock, kind, duration and weekly hours of a service,
whether it is held by video, withdrawn),
the service slots the catalog booked for orders, and merchants. The merchants are the kit's
merchant replica (contact, address and tax number for invoices, delivery and pickup, opening
hours, closed, suspended, approved by the association, revoked tokens; see
``downtown_events.runtime.merchant_replica``), folded here as a part of this projection so
that its consumer, tracking and ``make rebuild PROJECTION=catalog_replica`` stay one. Each
row is written by one catalog stream only (an offer's, a merchant's), so worker replicas
never contend for a row; a row may lag the catalog by a moment, and the catalog's
reservation has the last word on stock and slots.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from downtown_events.catalog import (
    OfferDetailsChanged,
    OfferListed,
    OfferPriceChanged,
    OfferSlotBooked,
    OfferSlotReleased,
    OfferStockAdjusted,
    OfferVatRateChanged,
    OfferWithdrawn,
)
from downtown_events.runtime.merchant_replica import REPLICATED_EVENTS, merchant_replica
from downtown_events.runtime.projection import Projection, Row, RowSet, Table
from downtown_events.runtime.records import ReceivedEvent

OFFERS = Table(
    name="ordering_offers",
    key="offer_id",
    columns={
        "offer_id": "uuid",
        "merchant_id": "uuid",
        "kind": "text",
        "title": "text",
        "category": "text",
        "price_cents": "bigint",
        "stock": "integer",
        "duration_minutes": "integer",
        "weekly_availability": "jsonb",
        "withdrawn": "boolean",
        "updated_at": "timestamptz",
        # Added with issue 16: null in a table's rows from before until a rebuild
        # (``make rebuild PROJECTION=catalog_replica``), read as "no rate of its own" and "in person".
        "vat_percent": "integer",
        "held": "text",
    },
    indexes=("{table} (merchant_id)",),
)
SLOTS = Table(
    name="ordering_booked_slots",
    key="booking_id",
    columns={
        "booking_id": "text",
        "offer_id": "uuid",
        "order_id": "uuid",
        "starts_at": "timestamptz",
        "ends_at": "timestamptz",
    },
    indexes=("{table} (offer_id, starts_at)",),
)
MERCHANT_REPLICA = merchant_replica("ordering_merchants")
"""Not registered on its own: :class:`CatalogReplica` hands it the merchant events."""
MERCHANTS = MERCHANT_REPLICA.table
_OFFER_EVENTS = (
    OfferListed,
    OfferDetailsChanged,
    OfferPriceChanged,
    OfferStockAdjusted,
    OfferVatRateChanged,
    OfferWithdrawn,
    OfferSlotBooked,
    OfferSlotReleased,
)
_EVENTS = (*_OFFER_EVENTS, *REPLICATED_EVENTS)


class CatalogReplica(Projection):
    name = "catalog_replica"
    tables = (OFFERS, SLOTS, MERCHANTS)
    event_types = _EVENTS
    sources = ("catalog",)

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        data: Any = event.event
        if isinstance(data, OfferSlotBooked | OfferSlotReleased):
            return [(SLOTS, _booking(data))]
        if isinstance(data, _OFFER_EVENTS):
            return [(OFFERS, data.offer_id)]
        return MERCHANT_REPLICA.touches(event)

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        data: Any = event.event
        if isinstance(data, OfferSlotBooked):
            rows.put(
                SLOTS,
                {"booking_id": _booking(data), "offer_id": data.offer_id, "order_id": data.order_id}
                | {"starts_at": data.slot.starts_at, "ends_at": data.slot.ends_at},
            )
        elif isinstance(data, OfferSlotReleased):
            rows.delete(SLOTS, _booking(data))
        elif isinstance(data, _OFFER_EVENTS):
            _offer(rows, event)
        else:
            MERCHANT_REPLICA.evolve(rows, event)


def _booking(data: Any) -> str:
    return f"{data.offer_id}:{data.order_id}:{data.slot.starts_at.isoformat()}"


def _offer(rows: RowSet, event: ReceivedEvent) -> None:
    data: Any = event.event
    if isinstance(data, OfferListed):
        row: Row = {
            "offer_id": data.offer_id,
            "merchant_id": data.merchant_id,
            "kind": data.kind,
            "title": data.title,
            "category": data.category,
            "price_cents": data.price_cents,
            "stock": data.stock,
            "duration_minutes": data.duration_minutes,
            "weekly_availability": [window.model_dump(mode="json") for window in data.weekly_availability],
            "withdrawn": False,
            "vat_percent": data.vat_percent,
            "held": data.held,
        }
    elif (existing := rows.get(OFFERS, data.offer_id)) is None:
        return  # its listing was unreadable: the offer cannot be sold from here
    else:
        row = existing
        if isinstance(data, OfferDetailsChanged):
            row.update(title=data.title, category=data.category)
        elif isinstance(data, OfferPriceChanged):
            row["price_cents"] = data.price_cents
        elif isinstance(data, OfferStockAdjusted):
            row["stock"] = data.stock
        elif isinstance(data, OfferVatRateChanged):
            row["vat_percent"] = data.vat_percent
        elif isinstance(data, OfferWithdrawn):
            row["withdrawn"] = True
    row["updated_at"] = event.envelope.time
    rows.put(OFFERS, row)
