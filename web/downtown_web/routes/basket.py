# SPDX-License-Identifier: AGPL-3.0-or-later
"""One basket across the town's shops, and the checkout: a guest's, kept in a cookie.

Ordering keeps the basket; this front keeps only its id and access token (the ``basket``
cookie). Checkout sends each shop's choice (pickup or delivery, how to pay) with a fresh
``Idempotency-Key`` carried in the form, so a checkout sent twice (a reload, a dropped
connection) places the orders once. Refusals come back next to the field concerned.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.routes.forms import checked
from downtown_web.services import ServiceProblem
from downtown_web.visitor import GuestBasket, basket_of, forget_basket, keep_basket

router = APIRouter()

FULFILMENTS = ("pickup", "delivery")
PAYMENTS = {"pickup": ("at_pickup", "invoice"), "delivery": ("invoice", "cash_at_door", "card_at_door")}


async def _basket(page: Page, basket: GuestBasket | None) -> dict[str, Any] | None:
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


async def _shops_of(page: Page, lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
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
    basket = await _basket(page, basket_of(page.request))
    lines = basket["lines"] if basket else []
    by_shop: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in lines:
        by_shop[line["merchant_id"]].append(line)
    return page.render("basket.html", basket=basket, by_shop=by_shop, shops=await _shops_of(page, lines))


@router.post("/basket/lines", summary="Put an offer in the basket")
async def put_line(
    page: PageOf,
    offer_id: Annotated[UUID, Form()],
    quantity: Annotated[int, Form(ge=1, le=99)] = 1,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked(page.request, csrf)
    basket = basket_of(page.request)
    if await _basket(page, basket) is None:
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


@router.get("/checkout", summary="How each shop's order is fulfilled and paid, and who orders")
async def checkout_form(page: PageOf) -> Response:
    return await _checkout_page(page, {}, None)


@router.post("/checkout", summary="Place the orders")
async def check_out(page: PageOf, request: Request) -> Response:
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    checked(request, values.get("csrf"))
    basket = basket_of(request)
    current = await _basket(page, basket)
    if basket is None or current is None:
        return RedirectResponse("/basket", status_code=303)
    body = _checkout_body(values, {line["merchant_id"] for line in current["lines"]}, page.language)
    try:
        placed = await page.services.ordering.call(
            "POST",
            f"/baskets/{basket.basket_id}/checkout",
            language=page.language,
            headers={**basket.headers, "Idempotency-Key": values.get("idempotency_key") or str(uuid.uuid4())},
            json=body,
            timeout=30,
        )
    except ServiceProblem as problem:
        return await _checkout_page(page, values, problem, status_code=problem.status)
    orders = ",".join(order["order_id"] for order in placed["orders"])
    response = RedirectResponse(f"/placed?orders={orders}&token={placed['order_link_token']}", status_code=303)
    forget_basket(response)
    return response


async def _checkout_page(
    page: Page, values: dict[str, str], problem: ServiceProblem | None, *, status_code: int = 200
) -> Response:
    basket = await _basket(page, basket_of(page.request))
    if basket is None or not basket["lines"]:
        return RedirectResponse("/basket", status_code=303)
    shops = await _shops_of(page, basket["lines"])
    quote = await page.services.ordering.call(
        "GET", f"/baskets/{basket['basket_id']}/quote", language=page.language, headers=basket_headers(page)
    )
    said = page.refusal(problem) if problem else None
    return page.render(
        "checkout.html",
        status_code=status_code if status_code >= 400 else 200,
        basket=basket,
        shops=shops,
        windows={shop["merchant_id"]: _windows(shop["pickup"]["windows"]) for shop in quote["shops"]},
        warnings=[warning["text"] for warning in quote["warnings"] if warning.get("text")],
        values=values,
        said=said,
        payments=PAYMENTS,
        idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
    )


def basket_headers(page: Page) -> dict[str, str]:
    basket = basket_of(page.request)
    return basket.headers if basket else {}


def _windows(windows: list[dict[str, str]]) -> list[dict[str, Any]]:
    """The shop's pickup windows as the form offers them: a value to send back, and the times."""
    return [
        {
            "value": f"{window['starts_at']}|{window['ends_at']}",
            "starts_at": datetime.fromisoformat(window["starts_at"]),
            "ends_at": datetime.fromisoformat(window["ends_at"]),
        }
        for window in windows
    ]


def _checkout_body(values: dict[str, str], merchants: set[str], language: str) -> dict[str, Any]:
    """Ordering's checkout request from the form's fields (``<merchant>.fulfilment``, …)."""
    customer: dict[str, Any] = {
        "name": values.get("name", ""),
        "email": values.get("email") or None,
        "phone": values.get("phone", ""),
        "language": language,
    }
    address = {
        "street": values.get("street", ""),
        "postal_code": values.get("postal_code", ""),
        "city": values.get("city", ""),
    }
    choices: dict[str, Any] = {}
    for merchant_id in merchants:
        method = values.get(f"{merchant_id}.fulfilment", "pickup")
        method = method if method in FULFILMENTS else "pickup"
        payment = values.get(f"{merchant_id}.payment", PAYMENTS[method][0])
        payment = payment if payment in PAYMENTS[method] else PAYMENTS[method][0]
        fulfilment: dict[str, Any] = {"method": method}
        if method == "delivery":
            fulfilment["address"] = address
        elif "|" in values.get(f"{merchant_id}.window", ""):
            starts_at, ends_at = values[f"{merchant_id}.window"].split("|", 1)
            fulfilment["window"] = {"starts_at": starts_at, "ends_at": ends_at}
        if payment == "invoice":
            customer["billing_address"] = address
        choices[merchant_id] = {"fulfilment": fulfilment, "payment": {"method": payment}}
    return {"customer": customer, "merchants": choices}
