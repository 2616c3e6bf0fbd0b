# SPDX-License-Identifier: AGPL-3.0-or-later
"""Paying part of an order with a voucher: whoever holds the code authorises the orders.

Public like the balance look-up (the code is the credential) and throttled with it: an
unknown, mistyped or another town's code gets the same 404 after the same work. The answer's
``authorization_id`` is what the checkout names; the code itself never reaches an order.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from downtown_events.runtime.http.openapi import also_answers
from vouchers.api.deps import AppHandlers, Container, IdempotencyKey, count_code_try
from vouchers.api.schemas import AuthorizationIn, AuthorizationOut
from vouchers.domain.commands import AuthorizeVoucherPayment

router = APIRouter(tags=["authorizations"])


@router.post(
    "/authorizations",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthorizationOut,
    openapi_extra=also_answers(404, 429),
)
async def authorize(
    body: AuthorizationIn,
    request: Request,
    container: Container,
    handlers: AppHandlers,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> AuthorizationOut:
    """Let the orders of one checkout take up to `amount_cents` of the voucher for a while;
    send the code in the body (never in a URL). Nothing is redeemed yet: each order's part
    is redeemed when the order is placed, from what the voucher holds then."""
    await count_code_try(container, request, body.code)
    command = AuthorizeVoucherPayment(body.code, body.amount_cents, idempotency_key)
    authorized = await handlers.authorizations.authorize(command)
    if not authorized.created:
        response.status_code = status.HTTP_200_OK
    return AuthorizationOut.of(authorized.authorization, authorized.voucher)
