"""Merchants: register (get a token), keep the profile and hours current, close for a while.

The association's suspension lives here too: it is a change of a merchant.
"""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from catalog.api.deps import Caller, Container, Handlers, IdempotencyKey
from catalog.api.schemas import (
    ClosingIn,
    MerchantOut,
    MerchantRegistration,
    MerchantWithToken,
    OpeningHoursIn,
    ProfileIn,
    SuspensionIn,
)
from catalog.domain.commands import ChangeOpeningHours, ChangeProfile, CloseShop, RegisterMerchant, SuspendMerchant

router = APIRouter(prefix="/merchants", tags=["merchants"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MerchantWithToken)
async def register_merchant(
    body: MerchantRegistration,
    handlers: Handlers,
    container: Container,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MerchantWithToken:
    """Register a shop or service provider; the answer carries its merchant token."""
    command = RegisterMerchant(body.to_profile(), tuple(body.opening_hours), idempotency_key)
    merchant, created = await handlers.register_merchant(command)
    if not created:
        response.status_code = status.HTTP_200_OK
    token = container.tokens.issue_merchant_token(merchant.merchant_id)
    return MerchantWithToken(merchant=MerchantOut.of(merchant), token=token)


@router.get("/me", response_model=MerchantOut)
async def my_merchant(caller: Caller, handlers: Handlers) -> MerchantOut:
    return MerchantOut.of(await handlers.merchant(caller.merchant()))


@router.put("/me/profile", response_model=MerchantOut)
async def change_profile(body: ProfileIn, caller: Caller, handlers: Handlers) -> MerchantOut:
    return MerchantOut.of(await handlers.change_profile(caller, ChangeProfile(body.to_profile())))


@router.put("/me/opening-hours", response_model=MerchantOut)
async def change_opening_hours(body: OpeningHoursIn, caller: Caller, handlers: Handlers) -> MerchantOut:
    command = ChangeOpeningHours(tuple(body.opening_hours))
    return MerchantOut.of(await handlers.change_opening_hours(caller, command))


@router.post("/me/closure", response_model=MerchantOut)
async def close_shop(body: ClosingIn, caller: Caller, handlers: Handlers) -> MerchantOut:
    """Closed for now (holiday, illness): listings stay, the directory says so."""
    return MerchantOut.of(await handlers.close_shop(caller, CloseShop(body.note)))


@router.delete("/me/closure", response_model=MerchantOut)
async def reopen_shop(caller: Caller, handlers: Handlers) -> MerchantOut:
    return MerchantOut.of(await handlers.reopen_shop(caller))


@router.post("/{merchant_id}/suspension", response_model=MerchantOut)
async def suspend_merchant(merchant_id: UUID, body: SuspensionIn, caller: Caller, handlers: Handlers) -> MerchantOut:
    """The association takes a merchant off the high street (association token only)."""
    return MerchantOut.of(await handlers.suspend_merchant(caller, SuspendMerchant(merchant_id, body.reason)))


@router.delete("/{merchant_id}/suspension", response_model=MerchantOut)
async def reinstate_merchant(merchant_id: UUID, caller: Caller, handlers: Handlers) -> MerchantOut:
    return MerchantOut.of(await handlers.reinstate_merchant(caller, merchant_id))
