# SPDX-License-Identifier: AGPL-3.0-or-later
"""A guest's orders, read with the order token ordering gave at checkout and e-mails as a link.

``/orders/{id}?token=…`` is the very link ordering's mails carry (its public URL is this
front's), so the link opens a page, never raw JSON. The token travels to ordering as the
``Order-Token`` header and is never stored here.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.services import ServiceProblem
from downtown_web.slots import Slot
from downtown_web.visitor import customer_of

router = APIRouter()

Token = Annotated[str, Query(min_length=16, max_length=2000, pattern=r"^[A-Za-z0-9_.\-]+$")]


async def _order(page: Page, order_id: UUID, token: str | None) -> dict[str, Any]:
    reader = {"Order-Token": token} if token else customer_of(page.request) or {}
    order: dict[str, Any] = await page.services.ordering.call(
        "GET", f"/orders/{order_id}", language=page.language, headers=reader
    )
    return await shown(page, order)


async def shown(page: Page, order: dict[str, Any]) -> dict[str, Any]:
    """An order as ordering answers it (read, or a checkout's answer), with what its page
    shows besides: the shop's directory entry, each booked line's time."""
    order["shop"] = await page.services.catalog.call(
        "GET", f"/directory/{order['merchant_id']}", language=page.language
    )
    for line in order["lines"]:
        line["booked"] = Slot.of(line["slot"]) if line.get("slot") else None
    return order


@router.get("/placed", summary="Thank you: the orders just placed, one per shop")
async def placed(
    page: PageOf, token: Token, orders: Annotated[str, Query(max_length=50 * 37, pattern=r"^[0-9a-f,-]+$")]
) -> Response:
    try:
        ids = [UUID(each) for each in orders.split(",") if each][:50]
    except ValueError:
        raise ServiceProblem(404, "Not Found", "no such orders") from None
    found = await asyncio.gather(*(_order(page, order_id, token) for order_id in ids))
    return page.render("placed.html", orders=found, token=token)


@router.get("/orders/{order_id}", summary="An order's status, from the link in the customer's mail")
async def order(page: PageOf, order_id: UUID, token: Token | None = None) -> Response:
    """A guest's link carries its token; a signed-in customer's session opens it without."""
    if token is None and customer_of(page.request) is None:
        return RedirectResponse("/sign-in", status_code=303)
    return page.render("order.html", order=await _order(page, order_id, token), token=token)
