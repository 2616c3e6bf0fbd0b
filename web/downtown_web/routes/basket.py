# SPDX-License-Identifier: AGPL-3.0-or-later
"""One basket across the town's shops: a guest's, kept in a cookie.

Ordering keeps the basket; this front keeps only its id and access token (the ``basket``
cookie). The checkout is ``routes.checkout``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.routes.forms import checked
from downtown_web.routes.storefront import offer_page
from downtown_web.services import ServiceProblem
from downtown_web.slots import CHOOSE, MAX_VALUE, BookedTime, chosen, refusal_of_time
from downtown_web.visitor import GuestBasket, basket_of, keep_basket

router = APIRouter()


async def open_basket(
    page: Page, basket: GuestBasket | None, *, checked_out_too: bool = False
) -> dict[str, Any] | None:
    """The visitor's open basket as ordering has it, or None (none yet, gone, or checked out;
    ``checked_out_too``: a checked-out one as well, which a resent checkout form finds)."""
    if basket is None:
        return None
    try:
        body: dict[str, Any] = await page.services.ordering.call(
            "GET", f"/baskets/{basket.basket_id}", language=page.language, headers=basket.headers
        )
    except ServiceProblem as problem:
        if problem.status in (401, 403, 404):
            return None
        raise
    return None if body["checked_out"] and not checked_out_too else body


async def shops_of(page: Page, lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The directory entry of each shop of the basket, asked side by side."""
    merchant_ids = list(dict.fromkeys(line["merchant_id"] for line in lines))
    entries = await asyncio.gather(
        *(
            page.services.catalog.call("GET", f"/directory/{merchant_id}", language=page.language)
            for merchant_id in merchant_ids
        )
    )
    return dict(zip(merchant_ids, entries, strict=True))


@router.get("/basket", summary="The basket: what is in it, shop by shop")
async def show_basket(page: PageOf) -> Response:
    basket = await open_basket(page, basket_of(page.request))
    lines = basket["lines"] if basket else []
    shops, booked = await asyncio.gather(shops_of(page, lines), _booked_times(page, basket))
    by_shop: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        by_shop[line["merchant_id"]].append({**line, "booked": booked.get(line["line_id"])})
    lost = any(time.lost for time in booked.values())  # checkout would refuse: said on top, too
    return page.render("basket.html", basket=basket, by_shop=by_shop, shops=shops, lost=lost)


async def _booked_times(page: Page, basket: dict[str, Any] | None) -> dict[str, BookedTime]:
    """Per line booked for a time: the time, whether it is a video consultation, and what the
    basket's quote says of it now (held for the basket until when, or taken meanwhile)."""
    lines = [line for line in (basket["lines"] if basket else []) if line.get("slot")]
    if basket is None or not lines:
        return {}
    video, quoted = await asyncio.gather(by_video(page, lines), _quoted_lines(page, basket["basket_id"]))
    return booked_of(lines, quoted, video)


async def by_video(page: Page, lines: list[dict[str, Any]]) -> set[str]:
    """The offers of the lines booked for a time that are held by video (a basket's line does
    not say; the catalog's offer does), asked side by side."""
    offer_ids = list(dict.fromkeys(line["offer_id"] for line in lines if line.get("slot")))
    offers = await asyncio.gather(
        *(page.services.catalog.call("GET", f"/catalog/{offer_id}", language=page.language) for offer_id in offer_ids)
    )
    return {offer_id for offer_id, offer in zip(offer_ids, offers, strict=True) if offer.get("held") == "video"}


def booked_of(
    lines: list[dict[str, Any]], quoted: Mapping[str, Mapping[str, Any]], video: set[str]
) -> dict[str, BookedTime]:
    """Each line booked for a time, by line id, with the quote's line of that id (``quoted``;
    none: not quoted) and whether its offer is held by video."""
    return {
        line["line_id"]: BookedTime.of(line, quoted.get(line["line_id"]), video=line["offer_id"] in video)
        for line in lines
        if line.get("slot")
    }


async def _quoted_lines(page: Page, basket_id: str) -> dict[str, dict[str, Any]]:
    """The quote's lines by id; none when ordering cannot quote the basket now (the page then
    shows the times without saying whether they are still held)."""
    own = basket_of(page.request)
    try:
        quote = await page.services.ordering.call(
            "GET",
            f"/baskets/{basket_id}/quote",
            language=page.language,
            headers=own.headers if own else {},
            params={"days": 1},
        )
    except ServiceProblem:
        return {}
    return quoted_lines(quote)


def quoted_lines(quote: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A basket quote's lines by id, from every shop."""
    return {line["line_id"]: line for shop in quote["shops"] for line in shop["lines"]}


@router.post("/basket/lines", summary="Put an offer in the basket")
async def put_line(
    page: PageOf,
    offer_id: Annotated[UUID, Form()],
    quantity: Annotated[int, Form(ge=1, le=99)] = 1,
    csrf: Annotated[str | None, Form()] = None,
    book: Annotated[bool, Form(description="sent by a service's booking form: a time must be chosen")] = False,
    slot: Annotated[str | None, Form(max_length=MAX_VALUE, description="a service's time: starts|ends")] = None,
) -> Response:
    """An offer in the basket; a service booked for the time chosen, which ordering holds for
    the basket a while, or refuses (taken meanwhile, no longer bookable): then the offer's
    page again, the refusal beside its fresh free times."""
    checked(page.request, csrf)
    time = chosen(slot)
    if book and time is None:
        return await offer_page(page, offer_id, refusal=page._(CHOOSE), status_code=422)
    basket = basket_of(page.request)
    if await open_basket(page, basket) is None:
        opened = await page.services.ordering.call("POST", "/baskets", language=page.language)
        basket = GuestBasket(UUID(opened["basket"]["basket_id"]), opened["access_token"])
    assert basket is not None
    line: dict[str, Any] = {"offer_id": str(offer_id), "quantity": quantity}
    if time is not None:
        line["slot"] = time.as_json()
    try:
        await page.services.ordering.call(
            "POST", f"/baskets/{basket.basket_id}/lines", language=page.language, headers=basket.headers, json=line
        )
    except ServiceProblem as problem:
        if time is None:
            raise
        refusal = refusal_of_time(problem, page._, page.refusal(problem).message)
        response: Response = await offer_page(page, offer_id, refusal=refusal, status_code=problem.status)
    else:
        response = RedirectResponse("/basket", status_code=303)
    keep_basket(response, basket, secure=page.settings.secure_cookies)
    return response


@router.post("/basket/lines/{line_id}/remove", summary="Take a line out of the basket")
async def remove_line(page: PageOf, line_id: UUID, csrf: Annotated[str | None, Form()] = None) -> Response:
    checked(page.request, csrf)
    basket = basket_of(page.request)
    if basket is not None:
        await page.services.ordering.call(
            "DELETE", f"/baskets/{basket.basket_id}/lines/{line_id}", language=page.language, headers=basket.headers
        )
    return RedirectResponse("/basket", status_code=303)
