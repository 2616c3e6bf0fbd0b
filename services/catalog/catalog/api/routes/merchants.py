# SPDX-License-Identifier: AGPL-3.0-or-later
"""Merchants: register (get a token), keep the profile and hours current, close for a while,
say a word to customers for today.

The association's decisions live here too — approval (acting with money) and suspension (off
the high street): they are changes of a merchant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi import APIRouter, Response, status

from catalog.api.deps import Caller, Container, Handlers, IdempotencyKey, local_now
from catalog.api.reading import ReaderOf
from catalog.api.schemas import (
    ApprovalWithdrawalIn,
    AvailabilityNoteIn,
    ClosingIn,
    MerchantOut,
    MerchantRegistration,
    MerchantToken,
    MerchantWithToken,
    OpeningHoursIn,
    ProfileIn,
    SuspensionIn,
    windows,
)
from catalog.domain.commands import (
    ChangeOpeningHours,
    ChangeProfile,
    CloseShop,
    NoteAvailability,
    RegisterMerchant,
    SuspendMerchant,
)

router = APIRouter(prefix="/merchants", tags=["merchants"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MerchantWithToken)
async def register_merchant(
    body: MerchantRegistration,
    handlers: Handlers,
    reader: ReaderOf,
    container: Container,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MerchantWithToken:
    """Register a shop or service provider; the answer (201) carries its merchant token.

    Repeating the request with the same `Idempotency-Key` answers 200 with the merchant but
    no token: a token goes only to whoever registered. The same key with a different body
    is refused (422)."""
    command = RegisterMerchant(body.to_profile(), windows(body.opening_hours), idempotency_key)
    merchant, created = await handlers.register_merchant(command)
    if not created:
        response.status_code = status.HTTP_200_OK
        return MerchantWithToken(merchant=MerchantOut.of(merchant, reader.language), token=None)
    token = container.tokens.issue_merchant_token(merchant.merchant_id)
    return MerchantWithToken(merchant=MerchantOut.of(merchant, reader.language), token=token)


@router.get("/me", response_model=MerchantOut)
async def my_merchant(caller: Caller, handlers: Handlers, reader: ReaderOf) -> MerchantOut:
    return MerchantOut.of(await handlers.merchant(caller.merchant()), reader.language)


@router.put("/me/profile", response_model=MerchantOut)
async def change_profile(body: ProfileIn, caller: Caller, handlers: Handlers, reader: ReaderOf) -> MerchantOut:
    return MerchantOut.of(await handlers.change_profile(caller, ChangeProfile(body.to_profile())), reader.language)


@router.put("/me/opening-hours", response_model=MerchantOut)
async def change_opening_hours(
    body: OpeningHoursIn, caller: Caller, handlers: Handlers, reader: ReaderOf
) -> MerchantOut:
    command = ChangeOpeningHours(windows(body.opening_hours))
    return MerchantOut.of(await handlers.change_opening_hours(caller, command), reader.language)


@router.post("/me/closure", response_model=MerchantOut)
async def close_shop(body: ClosingIn, caller: Caller, handlers: Handlers, reader: ReaderOf) -> MerchantOut:
    """Closed for now (holiday, illness): listings stay, the directory says so."""
    return MerchantOut.of(await handlers.close_shop(caller, CloseShop(body.note)), reader.language)


@router.delete("/me/closure", response_model=MerchantOut)
async def reopen_shop(caller: Caller, handlers: Handlers, reader: ReaderOf) -> MerchantOut:
    return MerchantOut.of(await handlers.reopen_shop(caller), reader.language)


@router.put("/me/availability-note", response_model=MerchantOut)
async def note_availability(
    body: AvailabilityNoteIn, caller: Caller, handlers: Handlers, reader: ReaderOf, container: Container
) -> MerchantOut:
    """Today's note for customers ("Heute ab 14 Uhr nur Abholung"): the directory shows it
    beside the shop for the rest of the town's day (its date on the town's clock), and not
    after. It replaces today's earlier note; the same note again changes nothing."""
    command = NoteAvailability(body.note, local_now(container).date())
    return MerchantOut.of(await handlers.note_availability(caller, command), reader.language)


@router.delete("/me/availability-note", response_model=MerchantOut)
async def clear_availability_note(
    caller: Caller, handlers: Handlers, reader: ReaderOf, container: Container
) -> MerchantOut:
    """Today's note is taken back; with none today, nothing changes."""
    command = NoteAvailability("", local_now(container).date())
    return MerchantOut.of(await handlers.note_availability(caller, command), reader.language)


@router.post("/{merchant_id}/suspension", response_model=MerchantOut)
async def suspend_merchant(
    merchant_id: UUID, body: SuspensionIn, caller: Caller, handlers: Handlers, reader: ReaderOf
) -> MerchantOut:
    """The association takes a merchant off the high street (association token only)."""
    return MerchantOut.of(
        await handlers.suspend_merchant(caller, SuspendMerchant(merchant_id, body.reason)), reader.language
    )


@router.delete("/{merchant_id}/suspension", response_model=MerchantOut)
async def reinstate_merchant(merchant_id: UUID, caller: Caller, handlers: Handlers, reader: ReaderOf) -> MerchantOut:
    return MerchantOut.of(await handlers.reinstate_merchant(caller, merchant_id), reader.language)


@router.post("/{merchant_id}/approval", response_model=MerchantOut)
async def approve_merchant(merchant_id: UUID, caller: Caller, handlers: Handlers, reader: ReaderOf) -> MerchantOut:
    """The association vouches for a merchant (association token only): from now on it may act
    with money — sell and redeem vouchers, take cash for them, join the town voucher, issue
    invoices. Registering alone allows none of that."""
    return MerchantOut.of(await handlers.approve_merchant(caller, merchant_id), reader.language)


@router.delete("/{merchant_id}/approval", response_model=MerchantOut)
async def withdraw_approval(
    merchant_id: UUID, body: ApprovalWithdrawalIn, caller: Caller, handlers: Handlers, reader: ReaderOf
) -> MerchantOut:
    """The association no longer vouches for a merchant: it acts with money no more."""
    return MerchantOut.of(await handlers.withdraw_approval(caller, merchant_id, body.reason), reader.language)


@router.post("/{merchant_id}/tokens", status_code=status.HTTP_201_CREATED, response_model=MerchantToken)
async def issue_merchant_token(
    merchant_id: UUID, caller: Caller, handlers: Handlers, container: Container
) -> MerchantToken:
    """A new token for a merchant who lost theirs (association token only): the association
    knows its members and hands it over in person or by phone. Every earlier token of the
    merchant stops working, in every service of the town."""
    merchant = await handlers.replace_merchant_tokens(caller, merchant_id, datetime.now(UTC))
    return MerchantToken(token=container.tokens.issue_merchant_token(merchant.merchant_id))


@router.post("/me/token", response_model=MerchantToken)
async def renew_my_token(caller: Caller, handlers: Handlers, container: Container) -> MerchantToken:
    """A fresh token before the current one expires (tokens last `merchant_token_days`)."""
    merchant = await handlers.merchant(caller.merchant())
    return MerchantToken(token=container.tokens.issue_merchant_token(merchant.merchant_id))
