# SPDX-License-Identifier: AGPL-3.0-or-later
"""Buying vouchers: a purchase starts, is paid (or expires), and its vouchers are issued.

A payment and everything it moves commit together, in one unit of work (see
:mod:`vouchers.app.payments`): the payment, the campaign bonus its verified money earns, and
every voucher it issues. A purchase that starts holds nothing of a campaign's budget; an
online buyer's mailbox has a few purchases waiting for payment at most. Codes are drawn when
the purchase starts and sealed for the buyer's access token (see
:mod:`vouchers.adapters.sealing`); only a paid purchase issues them, and only the buyer,
once, sees them in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from downtown_events.runtime.commands import execute
from downtown_events.runtime.idempotency import created_id, ensure_same_request, fingerprint, fingerprint_metadata
from downtown_events.runtime.principal import Principal
from downtown_events.vouchers import PurchaseItem
from vouchers.app.buyers import BuyerAccess
from vouchers.app.context import Context, programme_of, purchase_of
from vouchers.app.payments import CAMPAIGN_RETRIES, PaymentHandling
from vouchers.app.ports import BuyerPurchases, CampaignFinder, CodeSeal, MerchantDirectory
from vouchers.domain import bulk
from vouchers.domain import campaign as campaigns
from vouchers.domain import programme as programmes
from vouchers.domain import purchase as purchases
from vouchers.domain.codes import VoucherCode, code_hash, new_code
from vouchers.domain.commands import BulkIssue, ConfirmPayment, StartPurchase
from vouchers.domain.errors import AlreadyExists, InvalidChange
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.private_events import Gift
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import BuyerSecrets, OpenUnpaid, Purchase, campaign_bonuses
from vouchers.domain.sale import Language


@dataclass(frozen=True)
class StartedPurchase:
    """``access_token`` only for the request that started it: a replay gets none."""

    purchase: Purchase
    access_token: str | None
    created: bool


class PurchaseHandlers(BuyerAccess, PaymentHandling):
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
        return await self._start(replace(command, channel="counter"), seller, reference)

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
        if command.channel == "online":  # the buyer's e-mail brings the paid vouchers (see adapters.sealing)
            secrets = self._for_delivery(secrets, token, purchase_id, command.language)
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

    async def with_reference(self, principal: Principal, reference: str) -> list[Purchase]:
        """The purchases a bank transfer's reference names (``GS-A1B2C3D4``), for the
        association matching the money on its account to a purchase (then it confirms the
        payment). Read from the sales read model, a moment behind the purchases."""
        principal.association()
        lowest, highest = purchases.reference_range(reference)
        found = [await purchase_of(self._store, pid) for pid in await self._buyers.ids_between(lowest, highest)]
        return [purchase for purchase in found if purchase is not None]

    async def _open_unpaid(self, buyer_email: str, now: datetime) -> OpenUnpaid:
        """The buyer's purchases waiting for money, under every reference its address had."""
        refs = [self._seal.buyer_ref(buyer_email), *self._seal.earlier_buyer_refs(buyer_email)]
        return OpenUnpaid(await self._buyers.open_unpaid(refs, now), self._max_open_unpaid)

    async def _raced(
        self, error: AlreadyExists, purchase_id: UUID, request: str, idempotency_key: str | None
    ) -> StartedPurchase:
        """A retry racing the request it repeats loses the append, and its unit of work rolls
        back (a counter sale's payment and vouchers too): it is answered as the replay it is,
        not with a 409."""
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

    def _for_delivery(self, secrets: BuyerSecrets, token: str, purchase_id: UUID, language: Language) -> BuyerSecrets:
        """The buyer's language, and the codes sealed again for the e-mail that brings them."""
        codes = self._seal.unseal(token, purchase_id, secrets.sealed_codes)
        sealed = self._seal.seal_for_delivery(purchase_id, codes)
        return replace(secrets, language=language, delivery_sealed_codes=sealed)

    async def _merchants_of(self, sold: Iterable[Programme]) -> dict[UUID, MerchantStanding]:
        merchants = {}
        for programme in sold:
            if programme.merchant_id is not None:
                merchants[programme.merchant_id] = await self._merchants.standing(programme.merchant_id)
        return merchants

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
