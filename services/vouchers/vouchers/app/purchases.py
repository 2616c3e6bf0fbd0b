"""Buying vouchers: a purchase starts, is paid (or expires), and its vouchers are issued.

A payment and everything it moves commit together, in one unit of work: the payment, the
campaign bonus its verified money earns (reserved and granted on the campaign's stream,
recorded on the purchase's), and every voucher it issues. A purchase that starts holds
nothing of a campaign's budget. Codes are drawn when the purchase starts and sealed for the
buyer's access token (see :mod:`vouchers.adapters.sealing`); only a paid purchase issues
them, and only the buyer, once, sees them in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from downtown_events.runtime.commands import execute
from downtown_events.runtime.idempotency import created_id, ensure_same_request, fingerprint, fingerprint_metadata
from downtown_events.runtime.principal import NotPermitted, Principal
from downtown_events.runtime.store import EventStore
from downtown_events.vouchers import PurchaseItem
from vouchers.app.buyers import BuyerAccess
from vouchers.app.context import Context, programme_of, purchase_of
from vouchers.app.ports import BuyerPurchases, CampaignFinder, CodeSeal, MerchantDirectory
from vouchers.domain import bulk
from vouchers.domain import campaign as campaigns
from vouchers.domain import programme as programmes
from vouchers.domain import purchase as purchases
from vouchers.domain import voucher as vouchers
from vouchers.domain.codes import VoucherCode, code_hash, new_code
from vouchers.domain.commands import BulkIssue, ConfirmPayment, StartPurchase
from vouchers.domain.errors import AlreadyExists, InvalidChange
from vouchers.domain.merchant_standing import MerchantStanding, ensure_may_sell
from vouchers.domain.private_events import Gift
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import VERIFIED, BonusGrant, BuyerSecrets, OpenUnpaid, Purchase, campaign_bonuses

CAMPAIGN_RETRIES = 50  # every purchase of a campaign's programme writes to the campaign's stream


@dataclass(frozen=True)
class StartedPurchase:
    """``access_token`` only for the request that started it: a replay gets none."""

    purchase: Purchase
    access_token: str | None
    created: bool


class PurchaseHandlers(BuyerAccess):
    def __init__(
        self,
        context: Context,
        merchants: MerchantDirectory,
        campaigns: CampaignFinder,
        seal: CodeSeal,
        buyers: BuyerPurchases,
        *,
        unpaid_hours: int,
        max_vouchers: int,
        max_bulk: int,
        max_open_unpaid: int,
    ) -> None:
        self._context = context
        self._store = context.store
        self._merchants = merchants
        self._campaigns = campaigns
        self._seal = seal
        self._buyers = buyers
        self._unpaid = timedelta(hours=unpaid_hours)
        self._max_vouchers = max_vouchers
        self._max_bulk = max_bulk
        self._max_open_unpaid = max_open_unpaid

    # --- starting -----------------------------------------------------------------------

    async def start_purchase(self, command: StartPurchase) -> StartedPurchase:
        """A buyer online (no account: an e-mail address) orders vouchers; they pay later."""
        if command.channel != "online":
            raise InvalidChange("online purchases only here; a merchant sells at the counter")
        return await self._start(command, seller=None, pay_cash=None)

    async def sell_at_counter(self, principal: Principal, command: StartPurchase, reference: str) -> StartedPurchase:
        """A merchant sells vouchers at the counter and takes the money there: started and
        paid in cash at once, so the buyer leaves with the printed vouchers (cash earns no
        campaign bonus: see ``purchase.VERIFIED``)."""
        seller = await self._merchants.standing(principal.merchant())
        return await self._start(
            replace(command, channel="counter", seller_merchant_id=seller.merchant_id), seller, reference
        )

    async def _start(
        self, command: StartPurchase, seller: MerchantStanding | None, pay_cash: str | None
    ) -> StartedPurchase:
        if not 1 <= len(command.items) <= self._max_vouchers:
            raise InvalidChange(f"a purchase holds 1 to {self._max_vouchers} vouchers")
        scope = f"purchase:{seller.merchant_id if seller else 'online'}"
        purchase_id = created_id(scope, command.idempotency_key)
        request = fingerprint(command)
        if command.idempotency_key is not None and (replayed := await self._replayed(purchase_id, request)):
            return replayed
        catalogue = await self._programmes({item.programme_id for item in command.items})
        merchants = await self._merchants_of(catalogue.values())
        voucher_ids = [uuid5(purchase_id, str(index)) for index in range(len(command.items))]
        token = self._seal.new_access_token()
        gifts = [
            Gift(voucher_id=voucher_id, recipient_name=wanted.gift_recipient, message=wanted.gift_message)
            for voucher_id, wanted in zip(voucher_ids, command.items, strict=True)
            if wanted.gift_recipient is not None
        ]
        secrets = self._secrets(command.buyer_email, purchase_id, voucher_ids, token, gifts)
        items = [
            PurchaseItem(
                voucher_id=voucher_id,
                programme_id=wanted.programme_id,
                amount_cents=wanted.amount_cents,
                gift=wanted.gift_recipient is not None,
            )
            for voucher_id, wanted in zip(voucher_ids, command.items, strict=True)
        ]
        now = self._context.now()
        open_unpaid = await self._open_unpaid(command.buyer_email, now) if seller is None else None
        try:
            async with self._store.unit_of_work() as unit:
                purchase = await execute(
                    unit,
                    str(purchase_id),
                    purchases.replay,
                    lambda state: purchases.start(
                        state,
                        purchase_id=purchase_id,
                        channel=command.channel,
                        items=items,
                        secrets=secrets,
                        expires_at=now + self._unpaid,
                        now=now,
                        programmes=catalogue,
                        merchants=merchants,
                        seller=seller,
                        open_unpaid=open_unpaid,
                    ),
                    metadata=fingerprint_metadata(request),
                )
                if pay_cash is not None and seller is not None:
                    payment = ConfirmPayment(purchase_id, "cash", pay_cash, purchase.total_cents, seller.merchant_id)
                    purchase = await self._pay_and_issue(unit, payment, catalogue, {}, now)
        except AlreadyExists as error:
            return await self._raced(error, purchase_id, request, command.idempotency_key)
        return StartedPurchase(purchase, token, True)

    async def _open_unpaid(self, buyer_email: str, now: datetime) -> OpenUnpaid:
        """The buyer's purchases waiting for money, under every reference its address had."""
        refs = [self._seal.buyer_ref(buyer_email), *self._seal.earlier_buyer_refs(buyer_email)]
        return OpenUnpaid(await self._buyers.open_unpaid(refs, now), self._max_open_unpaid)

    async def _raced(
        self, error: AlreadyExists, purchase_id: UUID, request: str, idempotency_key: str | None
    ) -> StartedPurchase:
        """A retry racing the request it repeats loses the append, and its unit of work rolls
        back (a bonus it reserved too): it is answered as the replay it is, not with a 409."""
        if idempotency_key is not None and (replayed := await self._replayed(purchase_id, request)):
            return replayed
        raise error

    async def _replayed(self, purchase_id: UUID, request: str) -> StartedPurchase | None:
        """What an earlier request with the same key started, answered without the access
        token; a request with other content under that key is refused."""
        history = await self._store.read(str(purchase_id))
        if not history:
            return None
        ensure_same_request(history, request)
        return StartedPurchase(purchases.ensure_exists(purchases.replay([e.event for e in history])), None, False)

    def _secrets(
        self, buyer_email: str, purchase_id: UUID, voucher_ids: list[UUID], token: str, gifts: list[Gift]
    ) -> BuyerSecrets:
        codes: dict[UUID, VoucherCode] = {voucher_id: new_code() for voucher_id in voucher_ids}
        return BuyerSecrets(
            buyer_email=buyer_email,
            buyer_ref=self._seal.buyer_ref(buyer_email),
            access_token_hash=self._seal.token_hash(token),
            sealed_codes=self._seal.seal(token, purchase_id, {vid: code.canonical for vid, code in codes.items()}),
            code_hashes={vid: code_hash(self._context.code_key, code) for vid, code in codes.items()},
            gifts=gifts,
        )

    async def _programmes(self, programme_ids: set[UUID], store: EventStore | None = None) -> dict[UUID, Programme]:
        """The programmes, read through ``store`` (a unit of work reads on its own connection)."""
        found = {}
        for programme_id in programme_ids:
            found[programme_id] = programmes.ensure_exists(await programme_of(store or self._store, programme_id))
        return found

    async def _merchants_of(self, sold: Iterable[Programme]) -> dict[UUID, MerchantStanding]:
        merchants = {}
        for programme in sold:
            if programme.merchant_id is not None:
                merchants[programme.merchant_id] = await self._merchants.standing(programme.merchant_id)
        return merchants

    # --- paying and issuing -------------------------------------------------------------

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

    async def expire_unpaid(self, purchase_id: UUID) -> bool:
        """The expiry job: an unpaid purchase past its time ends and gives its bonus back."""
        now = self._context.now()
        async with self._store.unit_of_work() as unit:
            before = purchases.ensure_exists(await purchase_of(unit, purchase_id))
            after = await execute(
                unit, str(purchase_id), purchases.replay, lambda state: purchases.expire_unpaid(state, now=now)
            )
            for campaign_id in campaign_bonuses(after.items):
                await execute(
                    unit,
                    str(campaign_id),
                    campaigns.replay,
                    lambda state: campaigns.release(state, purchase_id=purchase_id),
                    retries=CAMPAIGN_RETRIES,
                )
        return before.status == "pending" and after.status == "expired"

    # --- the association's bulk issue --------------------------------------------------

    async def bulk_issue(self, principal: Principal, command: BulkIssue) -> StartedPurchase:
        principal.association()
        if not 1 <= command.count <= self._max_bulk:
            raise InvalidChange(f"a bulk issue makes 1 to {self._max_bulk} vouchers")
        purchase_id = created_id("bulk", command.idempotency_key)
        request = fingerprint(command)
        if command.idempotency_key is not None and (replayed := await self._replayed(purchase_id, request)):
            return replayed
        programme = programmes.ensure_exists(await programme_of(self._store, command.programme_id))
        voucher_ids = [uuid5(purchase_id, str(index)) for index in range(command.count)]
        token = self._seal.new_access_token()
        secrets = self._secrets(command.contact_email, purchase_id, voucher_ids, token, gifts=[])
        now = self._context.now()
        try:
            async with self._store.unit_of_work() as unit:
                purchase = await execute(
                    unit,
                    str(purchase_id),
                    purchases.replay,
                    lambda state: bulk.bulk_issue(
                        state,
                        purchase_id=purchase_id,
                        programme=programme,
                        amount_cents=command.amount_cents,
                        voucher_ids=voucher_ids,
                        secrets=secrets,
                        reference=command.reference,
                        now=now,
                    ),
                    metadata=fingerprint_metadata(request),
                )
                await self._issue(unit, purchase, {programme.programme_id: programme})
        except AlreadyExists as error:
            return await self._raced(error, purchase_id, request, command.idempotency_key)
        return StartedPurchase(purchase, token, True)
