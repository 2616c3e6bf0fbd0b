# SPDX-License-Identifier: AGPL-3.0-or-later
"""What customers browse: the town catalog (search) and the town directory (read models)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from catalog.api.deps import Container, ReadDb, local_now
from catalog.api.reading import Reader, ReaderOf
from catalog.api.schemas import CatalogItem, CourierDeliveryOut, DirectoryEntry, Price, SearchResults
from catalog.domain.errors import NotFound
from catalog.domain.money import parse_price
from catalog.projections import queries
from downtown_events.runtime.readable import each_readable
from downtown_events.text import SingleLine

router = APIRouter(tags=["town"])


@router.get("/catalog", response_model=SearchResults)
async def search_catalog(
    db: ReadDb,
    q: Annotated[SingleLine | None, Query(max_length=200, description="Words; the last may be unfinished")] = None,
    category: Annotated[SingleLine | None, Query(max_length=60)] = None,
    merchant: UUID | None = None,
    kind: Literal["product", "service"] | None = None,
    delivery: bool | None = None,
    pickup: bool | None = None,
    min_price: Annotated[Price | None, Query()] = None,
    max_price: Annotated[Price | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> SearchResults:
    """Search the town's offers in German ("Weine" finds "Wein"), with filters."""
    page = await queries.search_offers(
        db,
        text=q,
        category=category,
        merchant_id=merchant,
        kind=kind,
        delivery=delivery,
        pickup=pickup,
        min_price_cents=parse_price(min_price) if min_price else None,
        max_price_cents=parse_price(max_price) if max_price else None,
        limit=limit,
        offset=offset,
    )
    return SearchResults(total=page.total, items=each_readable(page.items, CatalogItem.of, key="offer_id"))


@router.get("/catalog/{offer_id}", response_model=CatalogItem)
async def catalog_offer(offer_id: UUID, db: ReadDb) -> CatalogItem:
    row = await queries.get_offer(db, offer_id)
    if row is None:
        raise NotFound("no such offer in the town catalog")
    return CatalogItem.of(row)


@router.get("/directory", response_model=list[DirectoryEntry])
async def directory(
    db: ReadDb,
    container: Container,
    category: Annotated[SingleLine | None, Query(max_length=60)] = None,
    offers: Annotated[
        Literal["delivery", "couriers", "pickup", "vouchers", "services"] | None,
        Query(
            description="merchants that deliver (by any means), that the town's couriers deliver for, that "
            "offer pickup, sell vouchers or list services"
        ),
    ] = None,
    open_now: bool | None = None,
    *,
    reader: ReaderOf,
) -> list[DirectoryEntry]:
    """Who is in town, open now or not, reachable how, offering what; the notes and weekday
    names in the reader's language (`lang`, else `Accept-Language`, else German).

    **Who delivers here**: `courier_delivery` says, per merchant, whether the town's couriers
    deliver for it, from the delivery terms the town's dispatch publishes. They do when the
    merchant offers delivery and its shop lies in one of the town's delivery zones (its
    `location` inside a zone's area, or its postal code on a zone's list). Then it names that
    zone and the zones delivered to, the fee (the town's rule for a door in its zones: the
    amount, "from" a distance fee's base, and the value of goods above which delivery is
    free) and the next slot that starts after the terms' lead time from now. It is null for
    every merchant while the town has published no terms. `offers=couriers` lists only the
    merchants the couriers deliver for: the town's delivery directory."""
    rows = await queries.directory(
        db,
        category=category,
        offers=offers,
        open_now=open_now,
        now_local=local_now(container),
        gettext=reader.gettext,
    )
    return each_readable(rows, lambda row: _entry(row, reader), key="merchant_id")


@router.get("/directory/{merchant_id}", response_model=DirectoryEntry)
async def directory_entry(merchant_id: UUID, db: ReadDb, container: Container, reader: ReaderOf) -> DirectoryEntry:
    row = await queries.get_directory_entry(db, merchant_id, local_now(container), reader.gettext)
    if row is None:
        raise NotFound("no such merchant in the town directory")
    return _entry(row, reader)


def _entry(row: dict[str, Any], reader: Reader) -> DirectoryEntry:
    hours = reader.opening_hours(row["opening_hours"] or [])
    couriers = row["courier_delivery"]
    delivery = None if couriers is None else CourierDeliveryOut.of(couriers, reader.language, reader.gettext)
    return DirectoryEntry.model_validate({**row, "opening_hours": hours, "courier_delivery": delivery})
