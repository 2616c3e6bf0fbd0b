# SPDX-License-Identifier: AGPL-3.0-or-later
"""Buying vouchers: online or at the counter, paying, and fetching the printable vouchers.

The buyer needs no account: the answer that starts a purchase carries its access token,
which opens the purchase (status, masked codes, balances) and, once it is paid, the
printable vouchers with their codes in full — the buyer's own document, as often as they
like; a bulk issue's codes as CSV once only. An online buyer also gets the payment
instructions and, once paid, the vouchers by e-mail (``vouchers.adapters.notifier``).
"""

from __future__ import annotations

from typing import Annotated, Any, cast
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from downtown_events.runtime.http.clients import client_address
from downtown_events.runtime.http.languages import preferred_language
from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.throttle import Limit
from vouchers.api.deps import AppHandlers, Caller, Container, IdempotencyKey, PurchaseToken
from vouchers.api.documents import codes_export, printable_vouchers
from vouchers.api.schemas import (
    BulkIssueIn,
    BuyerView,
    CounterSaleIn,
    PaymentIn,
    ProviderPaymentIn,
    PurchaseIn,
    PurchaseOut,
    StartedPurchaseOut,
    VoucherSeen,
)
from vouchers.domain.commands import BulkIssue, ConfirmPayment, RequestedVoucher, StartPurchase
from vouchers.domain.sale import Language

LANGUAGES = ("de", "en")
"""The languages the buyer's mails are written in (the catalogues of vouchers/locale, and English)."""

router = APIRouter(tags=["purchases"])
ONCE = also_answers(410)
# The body names programmes (404 when there is none), whose merchants the vouchers service may
# not know yet (503) or the association may not have approved, or have suspended (403).
SELLS = also_answers(403, 404, 503)
PDF: dict[int | str, dict[str, Any]] = {
    "200": {"content": {"application/pdf": {}}, "description": "the printable vouchers, one per page"}
}
CSV: dict[int | str, dict[str, Any]] = {
    "200": {"content": {"text/csv": {}}, "description": "the codes, one voucher per line"}
}


def _command(body: PurchaseIn, idempotency_key: str | None, accept_language: str | None = None) -> StartPurchase:
    wanted = tuple(
        RequestedVoucher(
            item.programme_id,
            item.amount_cents,
            item.gift.recipient_name if item.gift else None,
            item.gift.message if item.gift else "",
        )
        for item in body.vouchers
    )
    language = body.language or preferred_language(accept_language, LANGUAGES, "de")
    return StartPurchase(
        wanted, buyer_email=body.email.lower(), idempotency_key=idempotency_key, language=cast(Language, language)
    )


@router.post(
    "/purchases",
    status_code=status.HTTP_201_CREATED,
    response_model=StartedPurchaseOut,
    openapi_extra=also_answers(403, 404, 409, 429, 503),
)
async def start_purchase(
    body: PurchaseIn,
    request: Request,
    container: Container,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StartedPurchaseOut:
    """Buy vouchers online (no account needed, an e-mail address): pending until paid, and
    expiring unpaid after a while. A campaign running when the payment arrives adds its
    bonus to money the payment provider or a bank transfer brings (nothing is held for an
    unpaid purchase). Starts are counted per client (429), and one e-mail address has only
    a few purchases waiting for payment at a time (409). The buyer gets the payment
    instructions by e-mail (the association's account and the `payment_reference`, and/or
    the payment provider's checkout link), and once paid the vouchers as a PDF, in the
    request's `language` (or its Accept-Language; German by default)."""
    settings = container.settings
    per_client = Limit("purchase:client", settings.purchase_starts_per_client, 600)
    await container.throttle.check([(per_client, client_address(request, settings))])
    command = _command(body, idempotency_key, request.headers.get("Accept-Language"))
    started = await container.handlers.purchases.start_purchase(command)
    if not started.created:
        response.status_code = status.HTTP_200_OK
    return StartedPurchaseOut(purchase=PurchaseOut.of(started.purchase), access_token=started.access_token)


@router.post(
    "/counter-sales",
    status_code=status.HTTP_201_CREATED,
    response_model=StartedPurchaseOut,
    openapi_extra=SELLS,
)
async def sell_at_counter(
    body: CounterSaleIn,
    caller: Caller,
    handlers: AppHandlers,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> StartedPurchaseOut:
    """A merchant sells vouchers at the counter for cash: paid and issued at once; print
    them with the access token (`GET /purchases/{id}/vouchers.pdf`)."""
    started = await handlers.purchases.sell_at_counter(caller, _command(body, idempotency_key), body.reference)
    if not started.created:
        response.status_code = status.HTTP_200_OK
    return StartedPurchaseOut(purchase=PurchaseOut.of(started.purchase), access_token=started.access_token)


@router.post(
    "/bulk-issues",
    status_code=status.HTTP_201_CREATED,
    response_model=StartedPurchaseOut,
    openapi_extra=also_answers(404),
)
async def bulk_issue(
    body: BulkIssueIn, caller: Caller, handlers: AppHandlers, response: Response, idempotency_key: IdempotencyKey = None
) -> StartedPurchaseOut:
    """The association issues many town vouchers at once (paid by itself); fetch the codes
    once as CSV (`GET /purchases/{id}/codes.csv`) or as printable vouchers."""
    command = BulkIssue(
        body.programme_id, body.amount_cents, body.count, body.reference, body.contact_email.lower(), idempotency_key
    )
    started = await handlers.purchases.bulk_issue(caller, command)
    if not started.created:
        response.status_code = status.HTTP_200_OK
    return StartedPurchaseOut(purchase=PurchaseOut.of(started.purchase), access_token=started.access_token)


@router.get("/purchases", response_model=list[PurchaseOut], openapi_extra=also_answers(403, 422))
async def purchases_with_reference(
    caller: Caller,
    handlers: AppHandlers,
    reference: Annotated[str, Query(max_length=40, description="a transfer's reference, e.g. GS-A1B2C3D4")],
) -> list[PurchaseOut]:
    """The association finds the purchase a bank transfer names by its reference (the buyer's
    payment instructions gave it), to confirm its payment: usually one, more only when two
    purchases share the reference (tell them apart by the amount). A moment behind new purchases."""
    return [PurchaseOut.of(found) for found in await handlers.purchases.with_reference(caller, reference)]


@router.get("/purchases/{purchase_id}", response_model=BuyerView)
async def purchase(purchase_id: UUID, token: PurchaseToken, handlers: AppHandlers) -> BuyerView:
    """The buyer's view: status, and once paid each voucher with its code masked and its balance."""
    bought = await handlers.purchases.purchase_for_buyer(purchase_id, token)
    masked = await handlers.purchases.masked_codes(purchase_id, token)
    issued = await handlers.purchases.issued_vouchers(bought)
    seen = [
        VoucherSeen(
            voucher_id=voucher.voucher_id,
            code=masked[voucher.voucher_id],
            value_cents=voucher.value_cents,
            balance_cents=voucher.balance_cents,
            expires_on=voucher.expires_on,
        )
        for voucher in issued
    ]
    return BuyerView(purchase=PurchaseOut.of(bought), vouchers=seen)


@router.get("/purchases/{purchase_id}/vouchers.pdf", responses=PDF, openapi_extra=also_answers(503))
async def printable(purchase_id: UUID, token: PurchaseToken, container: Container) -> Response:
    """The printable vouchers, each with its code in full and as a QR code: the buyer's own
    document, fetched again with the purchase's access token as often as needed (the e-mail
    that brought the vouchers carries the same). Drawn a few at a time: when every renderer
    is busy, 503 with `Retry-After`."""
    document = await printable_vouchers(container, purchase_id, token)
    await container.handlers.purchases.note_delivered(purchase_id, token)
    return Response(document, media_type="application/pdf", headers=_download(f"gutscheine-{purchase_id}.pdf"))


@router.get("/purchases/{purchase_id}/codes.csv", responses=CSV, openapi_extra=ONCE)
async def codes(purchase_id: UUID, token: PurchaseToken, container: Container) -> Response:
    """The codes as a spreadsheet (a bulk issue's), once only; UTF-8 for Excel."""
    document = await codes_export(container, purchase_id, token)
    await container.handlers.purchases.mark_delivered(purchase_id, token)
    return Response(document, media_type="text/csv; charset=utf-8", headers=_download(f"codes-{purchase_id}.csv"))


def _download(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


@router.post("/purchases/{purchase_id}/payments", response_model=PurchaseOut)
async def confirm_payment(purchase_id: UUID, body: PaymentIn, caller: Caller, handlers: AppHandlers) -> PurchaseOut:
    """The association saw the bank transfer, or a merchant took the money in cash: the
    purchase is paid and its vouchers are issued."""
    merchant_id = caller.merchant_id if body.method == "cash" else None
    command = ConfirmPayment(purchase_id, body.method, body.reference, body.amount_cents, merchant_id)
    return PurchaseOut.of(await handlers.purchases.confirm_payment(caller, command))


SIGNED_BODY = {
    **also_answers(401, 404),
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ProviderPaymentIn.model_json_schema()}},
    },
}


@router.post("/payments/provider", response_model=PurchaseOut, openapi_extra=SIGNED_BODY)
async def provider_callback(request: Request, container: Container) -> PurchaseOut:
    """The payment provider's callback, signed: `Downtown-Signature: t=<unix>,v1=<HMAC-SHA256
    of "<t>.<body>">`. An unsigned, stale or replayed callback is refused and changes nothing."""
    body = await request.body()
    signature = container.webhook.verify(
        request.headers.get("Downtown-Signature"), body, container.handlers.context.now()
    )
    try:
        payment = ProviderPaymentIn.model_validate_json(body)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None
    await container.webhook.take_once(signature)
    command = ConfirmPayment(payment.purchase_id, "provider", payment.reference, payment.amount_cents)
    return PurchaseOut.of(await container.handlers.purchases.confirm_payment(None, command))
