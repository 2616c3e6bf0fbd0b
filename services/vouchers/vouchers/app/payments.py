# SPDX-License-Identifier: AGPL-3.0-or-later
"""Paying a purchase: the money arrives, the campaign bonus it earns is granted, the vouchers
are issued, in one unit of work.

Who confirms which money: the payment provider (signed callback, checked at the edge), the
association (a bank transfer it saw), a merchant (cash it took, for what it sells itself).
Only verified money (``purchase.VERIFIED``) earns a campaign's bonus, reserved and granted on
the campaign's stream in the same unit of work as the payment; the purchase's stream records
it (private ``PurchaseBonusGranted``), and the vouchers carry it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from downtown_events.runtime.commands import execute
from downtown_events.runtime.principal import NotPermitted, Principal
from downtown_events.runtime.store import EventStore
from vouchers.app.context import Context, programme_of, purchase_of
from vouchers.app.ports import CampaignFinder, CodeSeal, MerchantDirectory
from vouchers.domain import campaign as campaigns
from vouchers.domain import programme as programmes
from vouchers.domain import purchase as purchases
from vouchers.domain import voucher as vouchers
from vouchers.domain.commands import ConfirmPayment
from vouchers.domain.merchant_standing import ensure_may_sell
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import VERIFIED, BonusGrant, Purchase, campaign_bonuses

CAMPAIGN_RETRIES = 50  # every payment of a campaign's programme writes to the campaign's stream


class PaymentHandling:
    """The paying side of :class:`~vouchers.app.purchases.PurchaseHandlers`."""

    _context: Context
    _store: EventStore
    _merchants: MerchantDirectory
    _campaigns: CampaignFinder
    _seal: CodeSeal

    async def confirm_payment(self, principal: Principal | None, command: ConfirmPayment) -> Purchase:
        """The money arrived: the purchase is paid and its vouchers are issued, together, with
        the bonus a running campaign adds to verified money. ``principal`` None means the
        payment provider's signed callback (checked at the edge)."""
        await self._ensure_may_confirm(principal, command)
        now = self._context.now()
        # Read models and programmes first: a unit of work holds its connection, and one more
        # per request would exhaust the pool under a rush of payments.
        purchase = purchases.ensure_exists(await purchase_of(self._store, command.purchase_id))
        catalogue = await self._programmes({item.programme_id for item in purchase.items})
        candidates = {}
        if purchase.status == "pending" and command.method in VERIFIED:
            candidates = {pid: await self._campaigns.running_for(pid, now) for pid in sorted(catalogue)}
        async with self._store.unit_of_work() as unit:
            return await self._pay_and_issue(unit, command, catalogue, candidates, now)

    async def _ensure_may_confirm(self, principal: Principal | None, command: ConfirmPayment) -> None:
        """Who confirms which money: the provider its payments, the association bank
        transfers, a merchant cash it took itself, while it may sell (approved, not
        suspended); which purchases a merchant takes cash for is the purchase's rule."""
        if principal is None:
            if command.method != "provider":
                raise NotPermitted("the payment provider confirms provider payments only")
            return
        if principal.role == "association":
            if command.method != "bank_transfer":
                raise NotPermitted("the association confirms bank transfers; cash is taken by a merchant")
            return
        merchant_id = principal.merchant()
        if command.method != "cash" or command.merchant_id != merchant_id:
            raise NotPermitted("a merchant confirms cash it took at its own counter")
        # Taking money for vouchers is selling them.
        ensure_may_sell(await self._merchants.standing(merchant_id))

    async def _pay_and_issue(
        self,
        unit: EventStore,
        command: ConfirmPayment,
        catalogue: dict[UUID, Programme],
        candidates: dict[UUID, list[UUID]],
        now: datetime,
    ) -> Purchase:
        """The payment, the bonus its campaigns grant (``candidates``: campaign ids per
        programme, from the read model), and the vouchers, in the caller's unit of work."""
        current = purchases.ensure_exists(await purchase_of(unit, command.purchase_id))
        grants: list[BonusGrant] = []
        if current.status == "pending" and command.method in VERIFIED:
            grants = await self._grant_bonuses(unit, current, candidates, now)
        purchase = await execute(
            unit,
            str(command.purchase_id),
            purchases.replay,
            lambda state: purchases.pay(
                state,
                method=command.method,
                reference=command.reference,
                amount_cents=command.amount_cents,
                merchant_id=command.merchant_id,
                programmes=catalogue,
                bonuses=grants,
            ),
        )
        await self._issue(unit, purchase, catalogue)
        return purchase

    async def _grant_bonuses(
        self, unit: EventStore, purchase: Purchase, candidates: dict[UUID, list[UUID]], now: datetime
    ) -> list[BonusGrant]:
        """For each programme of the purchase with a running campaign, the bonus the first
        campaign that has some left grants now (one campaign per programme and purchase);
        items that hold a reservation from their purchase's start keep it instead."""
        if purchase.secrets is None:
            return []
        email = purchase.secrets.buyer_email
        buyer_ref = self._seal.buyer_ref(email)
        also = (purchase.secrets.buyer_ref, *self._seal.earlier_buyer_refs(email))
        grants = []
        for programme_id in sorted({item.programme_id for item in purchase.items}):
            items = [i for i in purchase.items if i.programme_id == programme_id and i.campaign_id is None]
            amounts = [item.amount_cents for item in items]
            for campaign_id in candidates.get(programme_id, []) if items else []:
                campaign = await execute(
                    unit,
                    str(campaign_id),
                    campaigns.replay,
                    lambda state, amounts=amounts: campaigns.grant_at_payment(  # type: ignore[misc]
                        state,
                        purchase_id=purchase.purchase_id,
                        buyer_ref=buyer_ref,
                        amounts_cents=amounts,
                        now=now,
                        also_known_as=also,
                    ),
                    retries=CAMPAIGN_RETRIES,
                )
                reservation = campaign.reservations.get(purchase.purchase_id)
                if reservation is None or reservation.status != "granted":
                    continue  # nothing left to give (budget, cap, deadline): try the next campaign
                bonuses = campaigns.reserved_bonuses(campaign, purchase_id=purchase.purchase_id, amounts_cents=amounts)
                given = {item.voucher_id: bonus for item, bonus in zip(items, bonuses, strict=True) if bonus}
                grants.append(BonusGrant(campaign_id, given))
                break
        return grants

    async def _issue(self, unit: EventStore, purchase: Purchase, catalogue: dict[UUID, Programme]) -> None:
        """Every voucher of the paid purchase (with the bonus its items carry) and, for a
        reservation held since the purchase started, its grant; again decides nothing."""
        today = self._context.today()
        for item in purchase.items:
            programme = catalogue[item.programme_id]
            await execute(
                unit,
                str(item.voucher_id),
                vouchers.replay,
                lambda state, item=item, programme=programme: vouchers.issue(  # type: ignore[misc]
                    state, purchase=purchase, voucher_id=item.voucher_id, programme=programme, today=today
                ),
            )
        for campaign_id in campaign_bonuses(purchase.items):
            await execute(
                unit,
                str(campaign_id),
                campaigns.replay,
                lambda state: campaigns.grant(state, purchase_id=purchase.purchase_id),
                retries=CAMPAIGN_RETRIES,
            )

    async def _programmes(self, programme_ids: set[UUID]) -> dict[UUID, Programme]:
        """The programmes, read before a unit of work (which holds a connection of its own)."""
        found = {}
        for programme_id in programme_ids:
            found[programme_id] = programmes.ensure_exists(await programme_of(self._store, programme_id))
        return found
