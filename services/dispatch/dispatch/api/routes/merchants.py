# SPDX-License-Identifier: AGPL-3.0-or-later
"""What this service knows of a merchant, from its replica of the catalog's merchants."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from dispatch.api.deps import Container, ReadDb
from dispatch.domain.errors import NotFound

router = APIRouter(tags=["merchants"])


class MerchantStanding(BaseModel):
    merchant_id: UUID
    name: str
    approved: bool
    suspended: bool
    closed: bool
    may_act_with_money: bool


@router.get("/merchants/{merchant_id}", summary="A merchant's standing, as the catalog last said")
async def merchant_standing(merchant_id: UUID, container: Container, conn: ReadDb) -> MerchantStanding:
    standing = await container.merchants.standing(conn, merchant_id)
    if not standing.known:
        raise NotFound("no merchant of that id has reached this service (a new one may take a moment)")
    return MerchantStanding(
        merchant_id=merchant_id,
        name=standing.name,
        approved=standing.approved,
        suspended=standing.suspended,
        closed=standing.closed,
        may_act_with_money=standing.may_act_with_money,
    )
