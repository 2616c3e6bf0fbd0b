# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant takes a voucher at the counter: the code scanned (or typed), an amount, done.

The phone's camera reads the voucher's QR code where the browser can (``static/scan.js``,
progressive enhancement); the code can always be typed. The redemption is vouchers' own
(``POST /redemptions`` with the merchant's token). The form carries an ``Idempotency-Key``
made when the page was drawn, so a post sent again after a dropped connection redeems once,
and the page says what happened either way.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Response

from downtown_web.pages import Page, PageOf
from downtown_web.problems import Said
from downtown_web.routes.forms import checked
from downtown_web.routes.merchant import SIGN_IN
from downtown_web.services import ServiceProblem
from downtown_web.visitor import merchant_of

router = APIRouter(prefix="/merchant")


@router.get("/vouchers", summary="Take a voucher: scan its code, type the amount")
async def redemption_form(page: PageOf) -> Response:
    if merchant_of(page.request) is None:
        return SIGN_IN.signed_out()
    return _form(page, {}, None, None)


def _form(
    page: Page, values: dict[str, str], said: Said | None, done: dict[str, int] | None, *, status_code: int = 200
) -> Response:
    return page.render(
        "merchant_vouchers.html",
        status_code=status_code,
        values=values,
        said=said,
        done=done,
        idempotency_key=str(uuid.uuid4()) if done or not values else values["idempotency_key"],
    )


@router.post("/vouchers/redemptions", summary="Take the amount from the voucher")
async def redeem(
    page: PageOf,
    code: Annotated[str, Form(min_length=1, max_length=64)],
    amount: Annotated[str, Form(min_length=1, max_length=20)],
    idempotency_key: Annotated[str, Form(min_length=1, max_length=100)],
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked(page.request, csrf)
    auth = merchant_of(page.request)
    if auth is None:
        return SIGN_IN.signed_out()
    values = {"code": code, "amount": amount, "idempotency_key": idempotency_key}
    try:
        taken = await page.services.vouchers.call(
            "POST",
            "/redemptions",
            language=page.language,
            headers={**auth, "Idempotency-Key": idempotency_key},
            json={"code": code.strip(), "amount": amount.strip(), "channel": "counter"},
        )
    except ServiceProblem as problem:
        if problem.status == 401:
            return SIGN_IN.signed_out()
        return _form(page, values, page.refusal(problem), None, status_code=problem.status)
    done = {"amount_cents": taken["amount_cents"], "balance_cents": taken["voucher_balance_cents"]}
    return _form(page, {}, None, done)
