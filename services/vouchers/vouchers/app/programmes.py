# SPDX-License-Identifier: AGPL-3.0-or-later
"""Programmes, memberships and campaigns: what is sold, who accepts it, what the town adds.

A merchant opens its own merchant programme; the association opens town programmes and
campaigns; a merchant joins or leaves town programmes. Who may do what is checked here
from the :class:`Principal`; the rules live in the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from downtown_events.runtime.commands import execute
from downtown_events.runtime.idempotency import create_once, created_id
from downtown_events.runtime.principal import NotPermitted, Principal
from vouchers.app.context import Context, campaign_of, membership_of, programme_of
from vouchers.app.ports import MerchantDirectory, ProgrammeDirectory
from vouchers.domain import campaign as campaigns
from vouchers.domain import membership as memberships
from vouchers.domain import programme as programmes
from vouchers.domain.campaign import Campaign
from vouchers.domain.commands import (
    ChangeProgramme,
    CloseProgramme,
    EndCampaign,
    JoinProgramme,
    LeaveProgramme,
    OpenProgramme,
    StartCampaign,
)
from vouchers.domain.errors import AlreadyExists
from vouchers.domain.membership import Membership
from vouchers.domain.programme import Programme
from vouchers.domain.programme_names import ReservedNames


class ProgrammeHandlers:
    def __init__(
        self,
        context: Context,
        merchants: MerchantDirectory,
        listed: ProgrammeDirectory,
        *,
        reserved_words: Sequence[str] = (),
        most_per_merchant: int | None = None,
    ) -> None:
        self._context = context
        self._store = context.store
        self._merchants = merchants
        self._listed = listed
        self._reserved_words = tuple(reserved_words)
        self._most_per_merchant = most_per_merchant

    async def _reserved(self) -> ReservedNames:
        return ReservedNames.of(await self._listed.town_programme_names(), self._reserved_words)

    async def open_programme(self, principal: Principal, command: OpenProgramme) -> tuple[Programme, bool]:
        """A merchant opens its own programme, the association a town programme. Returns the
        programme and whether it was opened now (False: a replayed request)."""
        limits = None
        if command.kind == "town":
            principal.association()
            merchant = None
        else:
            merchant = await self._merchants.standing(principal.merchant())
            limits = programmes.MerchantProgrammes(
                await self._reserved(),
                await self._listed.open_programmes_of(merchant.merchant_id),
                self._most_per_merchant,
            )
        scope = f"programme:{principal.merchant_id or 'association'}"
        programme_id = created_id(scope, command.idempotency_key)
        return await create_once(
            self._store,
            str(programme_id),
            programmes.replay,
            lambda state: programmes.open_programme(
                state,
                programme_id=programme_id,
                kind=command.kind,
                terms=command.terms,
                merchant=merchant,
                limits=limits,
            ),
            command=command,
            idempotency_key=command.idempotency_key,
            exists=AlreadyExists,
        )

    async def change_programme(self, principal: Principal, command: ChangeProgramme) -> Programme:
        """The association changes any programme's terms; a merchant its own programme's,
        while it may sell (approved, not suspended)."""
        programme = await self._ensure_owner(principal, command.programme_id)
        by = None if principal.role == "association" else await self._merchants.standing(principal.merchant())
        reserved = await self._reserved() if programme.kind == "merchant" else None
        return await execute(
            self._store,
            str(command.programme_id),
            programmes.replay,
            lambda state: programmes.change_terms(state, terms=command.terms, by=by, reserved=reserved),
        )

    async def close_programme(self, principal: Principal, command: CloseProgramme) -> Programme:
        await self._ensure_owner(principal, command.programme_id)
        return await execute(
            self._store,
            str(command.programme_id),
            programmes.replay,
            lambda state: programmes.close(state, reason=command.reason),
        )

    async def programme(self, programme_id: UUID) -> Programme:
        return programmes.ensure_exists(await programme_of(self._store, programme_id))

    async def accepts(self, programme_id: UUID, merchant_id: UUID) -> bool:
        """Whether the merchant accepts the programme's vouchers now: it joined and has not left
        (a redemption also needs the merchant's standing: approved, not suspended)."""
        programmes.ensure_exists(await programme_of(self._store, programme_id))
        return memberships.accepts(await membership_of(self._store, programme_id, merchant_id))

    async def join(self, principal: Principal, command: JoinProgramme) -> Membership:
        merchant_id = _own(principal, command.merchant_id)
        programme = programmes.ensure_exists(await programme_of(self._store, command.programme_id))
        merchant = await self._merchants.standing(merchant_id)
        return await execute(
            self._store,
            str(memberships.membership_id(programme.programme_id, merchant_id)),
            memberships.replay,
            lambda state: memberships.join(state, programme=programme, merchant=merchant),
        )

    async def leave(self, principal: Principal, command: LeaveProgramme) -> Membership:
        merchant_id = _own(principal, command.merchant_id)
        return await execute(
            self._store,
            str(memberships.membership_id(command.programme_id, merchant_id)),
            memberships.replay,
            memberships.leave,
        )

    async def start_campaign(self, principal: Principal, command: StartCampaign) -> tuple[Campaign, bool]:
        principal.association()
        programme = programmes.ensure_exists(await programme_of(self._store, command.programme_id))
        campaign_id = created_id("campaign", command.idempotency_key)
        now = self._context.now()
        return await create_once(
            self._store,
            str(campaign_id),
            campaigns.replay,
            lambda state: campaigns.start(
                state,
                campaign_id=campaign_id,
                programme=programme,
                name=command.name,
                bonus_percent=command.bonus_percent,
                budget_cents=command.budget_cents,
                per_buyer_cap_cents=command.per_buyer_cap_cents,
                ends_at=command.ends_at,
                now=now,
            ),
            command=command,
            idempotency_key=command.idempotency_key,
            exists=AlreadyExists,
        )

    async def end_campaign(self, principal: Principal, command: EndCampaign) -> Campaign:
        principal.association()
        now = self._context.now()
        return await execute(
            self._store,
            str(command.campaign_id),
            campaigns.replay,
            lambda state: campaigns.end(state, reason=command.reason, now=now),
        )

    async def campaign(self, campaign_id: UUID) -> Campaign:
        return campaigns.ensure_exists(await campaign_of(self._store, campaign_id))

    async def _ensure_owner(self, principal: Principal, programme_id: UUID) -> Programme:
        """A town programme is the association's to change, a merchant programme its merchant's."""
        programme = programmes.ensure_exists(await programme_of(self._store, programme_id))
        if programme.kind == "town":
            principal.association()
        elif principal.role != "association" and principal.merchant() != programme.merchant_id:
            raise NotPermitted("this is another merchant's programme")
        return programme


def _own(principal: Principal, merchant_id: UUID) -> UUID:
    """A merchant joins or leaves for itself; the association may do it for any merchant."""
    if principal.role == "association":
        return merchant_id
    if principal.merchant() != merchant_id:
        raise NotPermitted("a merchant joins or leaves programmes for itself only")
    return merchant_id
