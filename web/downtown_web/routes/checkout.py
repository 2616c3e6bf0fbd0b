# SPDX-License-Identifier: AGPL-3.0-or-later
"""The checkout of the visitor's basket: how each shop's order is fulfilled and paid, and who orders.

Checkout sends each shop's choice (pickup or delivery, how to pay) with a fresh
``Idempotency-Key`` carried in the form, so a checkout sent twice (a reload, a dropped
connection) places the orders once. Refusals come back next to the field concerned.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.routes.basket import open_basket, shops_of
from downtown_web.routes.forms import checked
from downtown_web.services import ServiceProblem
from downtown_web.visitor import basket_of, forget_basket

router = APIRouter()

FULFILMENTS = ("pickup", "delivery")
PAYMENTS = {"pickup": ("at_pickup", "invoice"), "delivery": ("invoice", "cash_at_door", "card_at_door")}


@router.get("/checkout", summary="How each shop's order is fulfilled and paid, and who orders")
async def checkout_form(page: PageOf) -> Response:
    return await _checkout_page(page, {}, None)


@router.post("/checkout", summary="Place the orders")
async def check_out(page: PageOf, request: Request) -> Response:
    form = await request.form()
    values = {key: str(value) for key, value in form.items() if isinstance(value, str)}
    checked(request, values.get("csrf"))
    basket = basket_of(request)
    current = await open_basket(page, basket)
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
    basket = await open_basket(page, basket_of(page.request))
    if basket is None or not basket["lines"]:
        return RedirectResponse("/basket", status_code=303)
    shops = await shops_of(page, basket["lines"])
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
