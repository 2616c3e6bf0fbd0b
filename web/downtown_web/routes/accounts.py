# SPDX-License-Identifier: AGPL-3.0-or-later
"""A customer's sign-in by e-mailed link (:mod:`downtown_web.routes.sign_in`), their orders,
and signing out.

Ordering mails ``/sign-in?account=…&token=…`` (its public URL is this front's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import PageOf
from downtown_web.routes.forms import checked
from downtown_web.routes.sign_in import LinkSignIn, add_sign_in
from downtown_web.services import ServiceProblem
from downtown_web.visitor import CUSTOMER, customer_of

router = APIRouter()

SIGN_IN = LinkSignIn(
    pages="",
    service=lambda services: services.ordering,
    at="",
    field="account",
    bearer=CUSTOMER,
    template="sign_in.html",
    home="/my/orders",
    answer_token="customer_token",
)
add_sign_in(router, SIGN_IN)


@router.get("/my/orders", summary="The signed-in customer's orders")
async def my_orders(page: PageOf) -> Response:
    customer = customer_of(page.request)
    if customer is None:
        return RedirectResponse("/sign-in", status_code=303)
    orders = await page.services.ordering.call("GET", "/orders", language=page.language, headers=customer)
    for order in orders:
        order["placed_at"] = datetime.fromisoformat(order["placed_at"])
    return page.render("my_orders.html", orders=orders)


@router.post("/sign-out", summary="Sign out: this session's token is refused from now on")
async def sign_out(page: PageOf, csrf: Annotated[str | None, Form()] = None) -> Response:
    checked(page.request, csrf)
    customer = customer_of(page.request)
    if customer is not None:
        try:
            await page.services.ordering.call("DELETE", "/sessions/current", language=page.language, headers=customer)
        except ServiceProblem as problem:
            if problem.status not in (401, 403):  # already refused: signed out all the same
                raise
    response = RedirectResponse("/", status_code=303)
    CUSTOMER.forget(response)
    return response
