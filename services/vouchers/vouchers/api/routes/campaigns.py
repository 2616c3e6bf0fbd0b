# SPDX-License-Identifier: AGPL-3.0-or-later
"""Campaigns: the town adds a bonus to every voucher bought, from a fixed budget."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.readable import each_readable
from vouchers.api.deps import AppHandlers, Caller, IdempotencyKey, ReadDb
from vouchers.api.schemas import CampaignIn, CampaignListed, CampaignOut, ClosingIn
from vouchers.domain.commands import EndCampaign, StartCampaign
from vouchers.projections import queries

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


@router.get("", response_model=list[CampaignListed], openapi_extra=also_answers(401, 403))
async def campaigns(
    caller: Caller,
    db: ReadDb,
    handlers: AppHandlers,
    limit: Annotated[int, Query(ge=1, le=queries.CAMPAIGNS_PAGE, description="how many, newest first")] = (
        queries.CAMPAIGNS_PAGE
    ),
) -> list[CampaignListed]:
    """The town's campaigns, the latest started first, at most 200 (association token only):
    each with its budget (reserved by purchases not yet paid, granted, left) and its state
    now. An older campaign is still found by its id (`GET /campaigns/{id}`)."""
    caller.association()
    now = handlers.context.now()
    rows = await queries.newest_campaigns(db, limit=limit)
    return each_readable(rows, lambda row: CampaignListed.of_row(row, now), key="campaign_id")


@router.get("/{campaign_id}", response_model=CampaignOut)
async def campaign(campaign_id: UUID, handlers: AppHandlers) -> CampaignOut:
    """A campaign and its budget: reserved by pending purchases, granted, and what is left."""
    return CampaignOut.of(await handlers.programmes.campaign(campaign_id))


@router.post("/{campaign_id}/end", response_model=CampaignOut)
async def end_campaign(campaign_id: UUID, body: ClosingIn, caller: Caller, handlers: AppHandlers) -> CampaignOut:
    """End early; bonuses reserved for purchases not yet paid are still granted when they are."""
    return CampaignOut.of(await handlers.programmes.end_campaign(caller, EndCampaign(campaign_id, body.reason)))
