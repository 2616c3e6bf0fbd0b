# SPDX-License-Identifier: AGPL-3.0-or-later
"""Campaigns: the town adds a bonus to every voucher bought, from a fixed budget."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from downtown_events.runtime.http.openapi import also_answers
from vouchers.api.deps import AppHandlers, Caller, IdempotencyKey
from vouchers.api.schemas import CampaignIn, CampaignOut, ClosingIn
from vouchers.domain.commands import EndCampaign, StartCampaign

router = APIRouter(prefix="/campaigns", tags=["campaigns"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=CampaignOut, openapi_extra=also_answers(404))
async def start_campaign(
    body: CampaignIn, caller: Caller, handlers: AppHandlers, response: Response, idempotency_key: IdempotencyKey = None
) -> CampaignOut:
    """The association adds `bonus_percent` to every voucher of a programme bought before
    `ends_at`, until `budget_cents` is given out, at most `per_buyer_cap_cents` per buyer."""
    command = StartCampaign(
        body.programme_id,
        body.name,
        body.bonus_percent,
        body.budget_cents,
        body.per_buyer_cap_cents,
        body.ends_at,
        idempotency_key,
    )
    campaign, created = await handlers.programmes.start_campaign(caller, command)
    if not created:
        response.status_code = status.HTTP_200_OK
    return CampaignOut.of(campaign)


@router.get("/{campaign_id}", response_model=CampaignOut)
async def campaign(campaign_id: UUID, handlers: AppHandlers) -> CampaignOut:
    """A campaign and its budget: reserved by pending purchases, granted, and what is left."""
    return CampaignOut.of(await handlers.programmes.campaign(campaign_id))


@router.post("/{campaign_id}/end", response_model=CampaignOut)
async def end_campaign(campaign_id: UUID, body: ClosingIn, caller: Caller, handlers: AppHandlers) -> CampaignOut:
    """End early; bonuses reserved for purchases not yet paid are still granted when they are."""
    return CampaignOut.of(await handlers.programmes.end_campaign(caller, EndCampaign(campaign_id, body.reason)))
