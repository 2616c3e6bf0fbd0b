# SPDX-License-Identifier: AGPL-3.0-or-later
"""The storefront's browsing pages: the town's shops, search, an offer, a shop, photos.

Usable without JavaScript: every page is a plain server-rendered document and every action
a form. Photos are passed through from the catalog (``/photos/...``), so a browser needs to
reach only this front.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from downtown_events.runtime.http.fields import SingleLine
from downtown_web.pages import Page, PageOf
from downtown_web.services import ServiceProblem
from downtown_web.slots import Slot, SlotDay, by_town_day
from downtown_web.visitor import LANGUAGES, keep_language

router = APIRouter()

PAGE_SIZE = 24
SLOT_DAYS = 7
"""How many days of a service's free times its page offers at once (a link shows the next)."""
LAST_FIRST_DAY = date(9000, 1, 1)
PHOTO_WIDTHS = {"thumb": 320, "medium": 800, "large": 1600}
"""The catalog's photo variants by their longest edge (catalog/adapters/photos.py's VARIANTS):
the ``srcset`` lets a phone fetch the 320 px one and a wide screen the larger."""


def photo_of(item: dict[str, Any]) -> dict[str, str] | None:
    """``src`` and ``srcset`` of an offer's photo, or None."""
    variants = item.get("photo") or {}
    if not variants:
        return None
    srcset = ", ".join(f"{path} {PHOTO_WIDTHS[name]}w" for name, path in variants.items() if name in PHOTO_WIDTHS)
    return {"src": variants.get("medium") or next(iter(variants.values())), "srcset": srcset}


@router.get("/", summary="The town's storefront: its shops and what is new")
async def home(page: PageOf) -> Response:
    directory, newest = await asyncio.gather(
        page.services.catalog.call("GET", "/directory", language=page.language),
        page.services.catalog.call("GET", "/catalog", language=page.language, params={"limit": 8}),
    )
    shops = sorted(directory, key=lambda shop: (not shop["open_now"], shop["name"].casefold()))
    return page.render("home.html", shops=shops, offers=_with_photos(newest["items"]))


@router.get("/search", summary="Search the town's offers")
async def search(
    page: PageOf,
    q: Annotated[SingleLine, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> Response:
    params: dict[str, Any] = {"limit": PAGE_SIZE, "offset": offset}
    if q.strip():
        params["q"] = q.strip()
    found = await page.services.catalog.call("GET", "/catalog", language=page.language, params=params)
    return page.render(
        "search.html",
        q=q,
        total=found["total"],
        offers=_with_photos(found["items"]),
        offset=offset,
        next_offset=offset + PAGE_SIZE if offset + PAGE_SIZE < found["total"] else None,
        previous_offset=max(0, offset - PAGE_SIZE) if offset else None,
    )


@router.get("/offers/{offer_id}", summary="One offer, to put in the basket (a service: its free times, to book)")
async def offer(
    page: PageOf, offer_id: UUID, first_day: Annotated[date | None, Query(alias="from")] = None
) -> Response:
    if first_day is not None and first_day > LAST_FIRST_DAY:
        first_day = None  # a typed URL's: the days after it would run off the calendar
    return await offer_page(page, offer_id, first_day=first_day)


async def offer_page(
    page: Page, offer_id: UUID, *, first_day: date | None = None, refusal: str | None = None, status_code: int = 200
) -> HTMLResponse:
    """An offer's page; a service's with its free times from ``first_day`` (default: today),
    grouped by the town's days, and ``refusal`` beside them when a time chosen was refused."""
    item = await page.services.catalog.call("GET", f"/catalog/{offer_id}", language=page.language)
    shop, (days, complete) = await asyncio.gather(
        page.services.catalog.call("GET", f"/directory/{item['merchant_id']}", language=page.language),
        _free_days(page, offer_id, first_day) if item["kind"] == "service" else _no_days(),
    )
    start = first_day or datetime.now(page.texts.zone).date()
    # the day after those shown (or, when ordering cut the list short, the last one again)
    later = (days[-1].day + timedelta(days=1 if complete else 0)) if days else start + timedelta(days=SLOT_DAYS)
    return page.render(
        "offer.html",
        status_code=status_code,
        offer=item,
        photo=photo_of(item),
        shop=shop,
        days=days,
        first_day=first_day,
        later=later,
        refusal=refusal,
    )


async def _free_days(page: Page, offer_id: UUID, first_day: date | None) -> tuple[list[SlotDay], bool]:
    """The service's free times on the next days as ordering has them (none: it does not know
    the offer yet, or it is not bookable), and whether ordering listed them all."""
    params: dict[str, Any] = {"days": SLOT_DAYS, **({"from": first_day.isoformat()} if first_day else {})}
    try:
        free = await page.services.ordering.call(
            "GET", f"/offers/{offer_id}/free-slots", language=page.language, params=params
        )
    except ServiceProblem as problem:
        if problem.status in (404, 422):
            return [], True
        raise
    return by_town_day((Slot.of(raw) for raw in free["slots"]), page.texts.zone), bool(free["complete"])


async def _no_days() -> tuple[list[SlotDay], bool]:
    return [], True


@router.get("/shops/{merchant_id}", summary="A shop: how to reach it and what it offers")
async def shop(page: PageOf, merchant_id: UUID) -> Response:
    entry = await page.services.catalog.call("GET", f"/directory/{merchant_id}", language=page.language)
    offers = await page.services.catalog.call(
        "GET", "/catalog", language=page.language, params={"merchant": str(merchant_id), "limit": 100}
    )
    return page.render("shop.html", shop=entry, offers=_with_photos(offers["items"]))


@router.get("/photos/{photo_id}/{variant}.jpg", summary="An offer's photo, as the catalog keeps it")
async def photo(page: PageOf, photo_id: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], variant: str) -> Response:
    if variant not in PHOTO_WIDTHS:
        raise ServiceProblem(404, "Not Found", "no such variant")
    answer = await page.services.catalog.get_bytes(f"/photos/{photo_id}/{variant}.jpg")
    if answer.status_code != 200:
        raise ServiceProblem(404, "Not Found", "no such photo")
    # a photo's bytes never change under its id: browsers keep it
    return Response(answer.content, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=31536000"})


@router.get("/town.css", summary="The town's colours, as the pages' stylesheet reads them")
async def town_colours(page: PageOf) -> Response:
    # A file, not an inline style: the pages' Content-Security-Policy allows no inline style.
    css = f":root {{ --brand: {page.settings.brand_colour}; }}\n"
    return Response(css, media_type="text/css", headers={"Cache-Control": "public, max-age=300"})


@router.get("/language/{language}", summary="Read the pages in another language")
async def language(page: PageOf, language: str, next: str = "/") -> Response:
    target = next if next.startswith("/") and not next.startswith("//") and "\\" not in next else "/"
    response = RedirectResponse(target, status_code=303)
    if language in LANGUAGES:
        keep_language(response, language, secure=page.settings.secure_cookies)
    return response


def _with_photos(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**item, "picture": photo_of(item)} for item in items]
