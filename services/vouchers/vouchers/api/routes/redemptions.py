# SPDX-License-Identifier: AGPL-3.0-or-later
"""Spending vouchers: at the counter or online, by code or QR scan; reversal and refunds.

Each redemption carries the merchant's `Idempotency-Key`: a retried request redeems once
and answers with the first result. The balance never goes below zero, however many
redemptions of one voucher race each other.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.throttle import Limit
from vouchers.api.deps import AppHandlers, Caller, Container, RequiredIdempotencyKey, request_id
from vouchers.api.schemas import RedemptionIn, RedemptionOut, RefundIn, ReversalIn, VoucherOut, redemption_out
from vouchers.domain.commands import RedeemVoucher, RefundVoucher, ReverseRedemption

router = APIRouter(tags=["redemptions"])


@router.post(
    "/redemptions",
    status_code=status.HTTP_201_CREATED,
    response_model=RedemptionOut,
    openapi_extra=also_answers(404, 429, 503),
)
async def redeem(
    body: RedemptionIn,
    caller: Caller,
    container: Container,
    response: Response,
    idempotency_key: RequiredIdempotencyKey,
) -> RedemptionOut:
    """Pay with a voucher at your shop: a part or all of its balance. A mistyped code is
    refused by its check symbol before anything is looked up."""
    per_merchant = Limit("redeem:merchant", container.settings.redemption_tries_per_merchant, 60)
    await container.throttle.check([(per_merchant, str(caller.merchant()))])
    command = RedeemVoucher(body.code, body.cents, request_id(idempotency_key), body.channel)
    redeemed = await container.handlers.redemptions.redeem(caller, command)
    if not redeemed.created:
        response.status_code = status.HTTP_200_OK
    return redemption_out(redeemed.voucher, redeemed.redemption.redemption_id)


@router.post("/vouchers/{voucher_id}/redemptions/{redemption_id}/reversal", response_model=VoucherOut)
async def reverse(
    voucher_id: UUID, redemption_id: UUID, body: ReversalIn, caller: Caller, handlers: AppHandlers
) -> VoucherOut:
    """Undo a redemption as a whole (the merchant who redeemed, or the association)."""
    command = ReverseRedemption(voucher_id, redemption_id, body.reason)
    return VoucherOut.of_voucher(await handlers.redemptions.reverse(caller, command), handlers.context.today())


@router.post("/vouchers/{voucher_id}/refunds", response_model=VoucherOut)
async def refund(
    voucher_id: UUID, body: RefundIn, caller: Caller, handlers: AppHandlers, idempotency_key: RequiredIdempotencyKey
) -> VoucherOut:
    """Credit part of a redemption back to the voucher (goods returned)."""
    command = RefundVoucher(voucher_id, body.redemption_id, request_id(idempotency_key), body.cents, body.reason)
    return VoucherOut.of_voucher(await handlers.redemptions.refund(caller, command), handlers.context.today())


@router.get("/vouchers/{voucher_id}", response_model=VoucherOut)
async def voucher(voucher_id: UUID, caller: Caller, handlers: AppHandlers) -> VoucherOut:
    """A voucher with every redemption (the association; a merchant sees its own vouchers
    and those it redeemed)."""
    return VoucherOut.of_voucher(await handlers.redemptions.voucher(caller, voucher_id), handlers.context.today())
