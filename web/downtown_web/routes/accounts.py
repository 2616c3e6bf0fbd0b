# SPDX-License-Identifier: AGPL-3.0-or-later
"""A customer's sign-in by e-mailed link, their orders, and signing out.

Ordering mails ``/sign-in?account=…&token=…`` (its public URL is this front's). Opening the
link only shows a button: the one-time token is exchanged when the person presses it (a
POST with the form token), so a mail scanner or a link preview that fetches the link does
not use it up, and a link opened twice gives a credential at most once (ordering refuses
the second exchange).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.problems import Said
from downtown_web.routes.forms import checked
from downtown_web.services import ServiceProblem
from downtown_web.visitor import customer_of, forget_customer, keep_customer

router = APIRouter()

LinkToken = Annotated[str, Query(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/sign-in", summary="Ask for a sign-in link, or (from the link) sign in")
async def sign_in_page(page: PageOf, account: UUID | None = None, token: LinkToken | None = None) -> Response:
    return _sign_in_page(page, account=account, token=token)


def _sign_in_page(
    page: Page,
    *,
    account: UUID | None = None,
    token: str | None = None,
    sent: bool = False,
    said: Said | None = None,
    email: str = "",
    status_code: int = 200,
) -> Response:
    return page.render(
        "sign_in.html", status_code=status_code, account=account, token=token, sent=sent, said=said, email=email
    )


@router.post("/sign-in-links", summary="Mail a sign-in link")
async def request_link(
    page: PageOf, email: Annotated[str, Form(max_length=254)], csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked(page.request, csrf)
    try:
        await page.services.ordering.call(
            "POST", "/sign-in-links", language=page.language, json={"email": email, "language": page.language}
        )
    except ServiceProblem as problem:
        said = page.refusal(problem)
        return page.render(
            "sign_in.html", status_code=problem.status, account=None, token=None, sent=False, said=said, email=email
        )
    return page.render("sign_in.html", account=None, token=None, sent=True, said=None, email=email)


@router.post("/sign-in", summary="Exchange the link's one-time token for a session")
async def sign_in(
    page: PageOf,
    account: Annotated[UUID, Form()],
    token: Annotated[str, Form(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked(page.request, csrf)
    try:
        session = await page.services.ordering.call(
            "POST", "/sessions", language=page.language, json={"account_id": str(account), "token": token}
        )
    except ServiceProblem as problem:
        said = page.refusal(problem)
        return page.render(
            "sign_in.html", status_code=problem.status, account=None, token=None, sent=False, said=said, email=""
        )
    response = RedirectResponse("/my/orders", status_code=303)
    keep_customer(
        response, session["customer_token"], session["expires_in_seconds"], secure=page.settings.secure_cookies
    )
    return response


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
    forget_customer(response)
    return response
