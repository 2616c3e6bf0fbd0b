# SPDX-License-Identifier: AGPL-3.0-or-later
"""What customers browse: the town catalog (search) and the town directory (read models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query

from catalog.api.deps import Container, ReadDb
from catalog.api.reading import Reader, ReaderOf
from catalog.api.schemas import CatalogItem, DirectoryEntry, Price, SearchResults
from catalog.domain.errors import NotFound
from catalog.domain.money import parse_price
from catalog.projections import queries
from downtown_events.geo import GeoPoint
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


def local_now(container: Container) -> datetime:
    return datetime.now(ZoneInfo(container.settings.timezone))


@router.get("/directory", response_model=list[DirectoryEntry])
async def directory(
    db: ReadDb,
    container: Container,
    category: Annotated[SingleLine | None, Query(max_length=60)] = None,
    offers: Literal["delivery", "pickup", "vouchers", "services"] | None = None,
    open_now: bool | None = None,
    *,
    reader: ReaderOf,
) -> list[DirectoryEntry]:
    """Who is in town, open now or not, reachable how, offering what; the notes and weekday
    names in the reader's language (`lang`, else `Accept-Language`, else German)."""
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
    return DirectoryEntry.model_validate({**row, "opening_hours": hours, "location": _location(row)})


def _location(row: dict[str, Any]) -> GeoPoint | None:
    """A row written before the directory kept the location has neither column (null)."""
    lat, lon = row.get("latitude"), row.get("longitude")
    return None if lat is None or lon is None else GeoPoint(lat=lat, lon=lon)
