# SPDX-License-Identifier: AGPL-3.0-or-later
"""One basket across the town's shops: a guest's, kept in a cookie.

Ordering keeps the basket; this front keeps only its id and access token (the ``basket``
cookie). The checkout is ``routes.checkout``.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.routes.forms import checked
from downtown_web.services import ServiceProblem
from downtown_web.visitor import GuestBasket, basket_of, keep_basket

router = APIRouter()


async def open_basket(page: Page, basket: GuestBasket | None) -> dict[str, Any] | None:
    """The visitor's open basket as ordering has it, or None (none yet, gone, or checked out)."""
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
    return None if body["checked_out"] else body


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
    by_shop: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        by_shop[line["merchant_id"]].append(line)
    return page.render("basket.html", basket=basket, by_shop=by_shop, shops=await shops_of(page, lines))


@router.post("/basket/lines", summary="Put an offer in the basket")
async def put_line(
    page: PageOf,
    offer_id: Annotated[UUID, Form()],
    quantity: Annotated[int, Form(ge=1, le=99)] = 1,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked(page.request, csrf)
    basket = basket_of(page.request)
    if await open_basket(page, basket) is None:
        opened = await page.services.ordering.call("POST", "/baskets", language=page.language)
        basket = GuestBasket(UUID(opened["basket"]["basket_id"]), opened["access_token"])
    assert basket is not None
    await page.services.ordering.call(
        "POST",
        f"/baskets/{basket.basket_id}/lines",
        language=page.language,
        headers=basket.headers,
        json={"offer_id": str(offer_id), "quantity": quantity},
    )
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
