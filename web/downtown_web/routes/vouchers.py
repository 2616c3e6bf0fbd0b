# SPDX-License-Identifier: AGPL-3.0-or-later
"""Vouchers in the storefront: buy one online (its PDF once paid), and check what one is worth.

A purchase is vouchers' own: it answers the request that starts it with an access token,
once. The front keeps that token in an HttpOnly cookie that only the purchase's own pages
receive (``path=/vouchers/purchases/<id>``), so the buyer can come back to the payment
instructions and, once paid, fetch the PDF through the front; the e-mail vouchers sends
carries the same. A balance is asked with the code in a form's body, never in a URL.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Response
from fastapi.responses import RedirectResponse

from downtown_web.pages import Page, PageOf
from downtown_web.routes.forms import checked
from downtown_web.services import ServiceProblem

router = APIRouter()

_EUROS = re.compile(r"^\s*(\d{1,5})(?:[,.](\d{1,2}))?\s*(?:€)?\s*$")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-.]{16,200}$")


def cents_of(amount: str) -> int | None:
    """``"25"``, ``"25,50"`` or ``"25.5"`` as cents; None for anything else."""
    match = _EUROS.match(amount)
    if match is None:
        return None
    euros, fraction = match.groups()
    return int(euros) * 100 + int((fraction or "0").ljust(2, "0"))


def _cookie(purchase_id: UUID) -> str:
    return f"purchase_{purchase_id.hex}"


@router.get("/vouchers", summary="The town's vouchers: buy one, or check what one is worth")
async def vouchers_page(page: PageOf) -> Response:
    return await _vouchers_page(page, {}, None)


async def _vouchers_page(
    page: Page, values: dict[str, str], problem: ServiceProblem | None, *, status_code: int = 200
) -> Response:
    programmes = await page.services.vouchers.call("GET", "/programmes", language=page.language)
    return page.render(
        "vouchers.html",
        status_code=status_code,
        programmes=[programme for programme in programmes if programme.get("open", True)],
        values=values,
        said=page.refusal(problem) if problem else None,
        idempotency_key=values.get("idempotency_key") or str(uuid.uuid4()),
    )


@router.post("/vouchers/purchases", summary="Start buying a voucher")
async def buy(
    page: PageOf,
    programme_id: Annotated[UUID, Form()],
    email: Annotated[str, Form(max_length=254)],
    amount: Annotated[str, Form(max_length=20)],
    idempotency_key: Annotated[str, Form(max_length=100)],
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked(page.request, csrf)
    values = {"programme_id": str(programme_id), "email": email, "amount": amount, "idempotency_key": idempotency_key}
    cents = cents_of(amount)
    if cents is None:
        refusal = ServiceProblem(422, "", "", [{"field": "vouchers.0.amount_cents", "reason": "amount"}])
        return await _vouchers_page(page, values, refusal, status_code=422)
    body = {
        "email": email,
        "language": page.language,
        "vouchers": [{"programme_id": str(programme_id), "amount_cents": cents}],
    }
    try:
        started = await page.services.vouchers.call(
            "POST", "/purchases", language=page.language, headers={"Idempotency-Key": idempotency_key}, json=body
        )
    except ServiceProblem as problem:
        return await _vouchers_page(page, values, problem, status_code=problem.status)
    purchase_id = UUID(started["purchase"]["purchase_id"])
    response = RedirectResponse(f"/vouchers/purchases/{purchase_id}", status_code=303)
    if started.get("access_token"):  # only the request that started it gets one; a resent form keeps the first
        response.set_cookie(
            _cookie(purchase_id),
            started["access_token"],
            max_age=90 * 24 * 3600,
            path=f"/vouchers/purchases/{purchase_id}",
            httponly=True,
            secure=page.settings.secure_cookies,
            samesite="lax",
        )
    return response


def _buyer(page: Page, purchase_id: UUID) -> dict[str, str]:
    token = page.request.cookies.get(_cookie(purchase_id), "")
    if not _TOKEN.match(token):
        raise ServiceProblem(401, "", "no purchase token")
    return {"Authorization": f"Bearer {token}"}


@router.get("/vouchers/purchases/{purchase_id}", summary="A purchase: how to pay, then the vouchers")
async def purchase(page: PageOf, purchase_id: UUID) -> Response:
    view: dict[str, Any] = await page.services.vouchers.call(
        "GET", f"/purchases/{purchase_id}", language=page.language, headers=_buyer(page, purchase_id)
    )
    return page.render("voucher_purchase.html", purchase=view["purchase"], vouchers=view["vouchers"])


@router.get("/vouchers/purchases/{purchase_id}/vouchers.pdf", summary="The paid vouchers to print")
async def printable(page: PageOf, purchase_id: UUID) -> Response:
    answer = await page.services.vouchers.get_bytes(
        f"/purchases/{purchase_id}/vouchers.pdf", headers=_buyer(page, purchase_id)
    )
    if answer.status_code != 200:
        raise ServiceProblem.of(answer)
    headers = {
        "Content-Disposition": f'attachment; filename="gutscheine-{purchase_id}.pdf"',
        "Cache-Control": "no-store",
    }
    return Response(answer.content, media_type="application/pdf", headers=headers)


@router.post("/vouchers/balance", summary="What a voucher is still worth")
async def balance(
    page: PageOf, code: Annotated[str, Form(min_length=1, max_length=64)], csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked(page.request, csrf)
    try:
        found = await page.services.vouchers.call(
            "POST", "/balance-lookups", language=page.language, json={"code": code.strip()}
        )
    except ServiceProblem as problem:
        if problem.status != 404:
            raise
        return page.render("voucher_balance.html", status_code=404, found=None)
    found["expires_on"] = date.fromisoformat(found["expires_on"])
    return page.render("voucher_balance.html", found=found)
