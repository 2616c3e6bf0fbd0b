# SPDX-License-Identifier: AGPL-3.0-or-later
"""What every vouchers use case works with: the store, the read models it consults, the
town's code-hash key, and the kit's town clock (``today`` in the town's zone: a voucher valid
through 31 December is valid until midnight in the town, not in UTC)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from downtown_events.runtime.clock import TownClock
from downtown_events.runtime.commands import load
from downtown_events.runtime.store import EventStore
from vouchers.domain import campaign as campaigns
from vouchers.domain import membership as memberships
from vouchers.domain import programme as programmes
from vouchers.domain import purchase as purchases
from vouchers.domain import voucher as vouchers
from vouchers.domain.campaign import Campaign
from vouchers.domain.membership import Membership
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import Purchase
from vouchers.domain.voucher import Voucher


@dataclass(frozen=True)
class Context(TownClock):
    store: EventStore
    code_key: bytes


async def programme_of(store: EventStore, programme_id: UUID) -> Programme | None:
    return await load(store, str(programme_id), programmes.replay)


async def purchase_of(store: EventStore, purchase_id: UUID) -> Purchase | None:
    return await load(store, str(purchase_id), purchases.replay)


async def voucher_of(store: EventStore, voucher_id: UUID) -> Voucher | None:
    return await load(store, str(voucher_id), vouchers.replay)


async def campaign_of(store: EventStore, campaign_id: UUID) -> Campaign | None:
    return await load(store, str(campaign_id), campaigns.replay)


async def membership_of(store: EventStore, programme_id: UUID, merchant_id: UUID) -> Membership | None:
    return await load(store, str(memberships.membership_id(programme_id, merchant_id)), memberships.replay)
