# SPDX-License-Identifier: AGPL-3.0-or-later
"""Costs and choices before checkout: a service's free times (anyone may ask: the shop's page
shows them) and a basket's quote (its owner only, as the basket itself)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, cast
from uuid import UUID

from fastapi import APIRouter, Header, Query

from downtown_events.geo import GeoPoint
from downtown_events.money import Language
from downtown_events.runtime.http.openapi import also_anonymous, also_answers
from ordering.api.deps import AppHandlers, BasketToken, MaybeCaller
from ordering.api.quote_schemas import FreeSlotsOut, QuoteOut
from ordering.app.shopping import BasketKey
from ordering.domain.errors import InvalidChange

router = APIRouter(tags=["quotes"])
MAX_SLOT_DAYS = 14
MAX_QUOTE_DAYS = 7

FromDay = Annotated[
    date | None, Query(alias="from", description="the first day, YYYY-MM-DD in the town (default: today)")
]
PostalCode = Annotated[
    str | None,
    Query(
        description="where the goods would be delivered: each shop says whether it delivers there, for what fee",
        pattern=r"^\s*[0-9]{5}\s*$",
    ),
]
Latitude = Annotated[
    float | None,
    Query(
        ge=-90, le=90, allow_inf_nan=False, description="the door's pin on the map (with lon), for a fee by distance"
    ),
]
Longitude = Annotated[
    float | None, Query(ge=-180, le=180, allow_inf_nan=False, description="the door's pin (with lat)")
]
LanguageQuery = Annotated[
    Language | None, Query(description="the language of the warnings (default: Accept-Language, else de)")
]


@router.get(
    "/offers/{offer_id}/free-slots", response_model=FreeSlotsOut, openapi_extra=also_anonymous(also_answers(404, 422))
)
async def free_slots(
    offer_id: UUID,
    handlers: AppHandlers,
    first_day: FromDay = None,
    days: Annotated[int, Query(ge=1, le=MAX_SLOT_DAYS, description="how many days")] = 7,
) -> FreeSlotsOut:
    """A bookable service's free times: its weekly hours cut into slots as long as it takes,
    but those booked by orders, held by baskets, past, or beyond the booking horizon. From
    ordering's replica of the catalog, which may lag it by a moment; checkout decides."""
    return FreeSlotsOut.of(offer_id, await handlers.quotes.free_slots(offer_id, first_day, days))


@router.get(
    "/baskets/{basket_id}/quote",
    response_model=QuoteOut,
    openapi_extra=also_anonymous(also_answers(401, 404, 409, 422)),
)
async def basket_quote(
    basket_id: UUID,
    handlers: AppHandlers,
    caller: MaybeCaller,
    token: BasketToken = None,
    postal_code: PostalCode = None,
    first_day: FromDay = None,
    days: Annotated[
        int, Query(ge=1, le=MAX_QUOTE_DAYS, description="how many days of pickup windows and free slots")
    ] = 3,
    language: LanguageQuery = None,
    accept_language: Annotated[str | None, Header(max_length=200)] = None,
    lat: Latitude = None,
    lon: Longitude = None,
) -> QuoteOut:
    """Per shop of the basket: its lines and subtotal, delivery to ``postal_code`` (zone and
    fee), its pickup windows, by when it answers if ordered now, the free times of its services
    and whether each service line's time is still held; what checkout would refuse now, as
    warnings in the customer's language; the total."""
    key = BasketKey.of(caller, token)
    if (lat is None) != (lon is None):
        raise InvalidChange("a pin on the map has both lat and lon; give both or neither")
    quote = await handlers.quotes.quote(
        basket_id,
        key,
        postal_code=postal_code.strip() if postal_code else None,
        first_day=first_day,
        days=days,
        pin=None if lat is None or lon is None else GeoPoint(lat=lat, lon=lon),
    )
    chosen = language or _accepted(accept_language)
    return QuoteOut.of(quote, chosen, handlers.quotes.words(chosen), handlers.context.town.timezone)


def _accepted(header: str | None) -> Language:
    """The first of Downtown's languages the browser names (German first, when it names none)."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in ("de", "en"):
            return cast(Language, tag)
    return "de"
