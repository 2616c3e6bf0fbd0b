# SPDX-License-Identifier: AGPL-3.0-or-later
"""Spending vouchers: redemption at a merchant, reversal, refund, expiry, and the balance.

A voucher is found by its code's keyed hash (the code itself is never stored). Fifty
redemptions of one voucher racing each other all go through the voucher's one stream:
each decides on the balance it read and appends at the version it read; the losers of
each round read again and decide again, so the balance never goes below zero and no
redemption is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from uuid import NAMESPACE_URL, UUID, uuid5

from downtown_events.contract import IntegrationEvent
from downtown_events.runtime.commands import StreamLocks, events_of, execute
from downtown_events.runtime.principal import Principal
from downtown_events.runtime.store import StoredEvent
from vouchers.app.context import Context, membership_of, voucher_of
from vouchers.app.ports import CodeIndex, MerchantDirectory, RequestKeys
from vouchers.domain import balance
from vouchers.domain import membership as memberships
from vouchers.domain import voucher as vouchers
from vouchers.domain.codes import InvalidCode, VoucherCode, code_hash, parse_code
from vouchers.domain.commands import RedeemVoucher, RefundVoucher, ReverseRedemption
from vouchers.domain.errors import NotFound
from vouchers.domain.merchant_standing import MerchantStanding
from vouchers.domain.voucher import Redemption, Voucher

HOT_STREAM_RETRIES = 200  # a voucher's stream may have many writers at once (a race at a counter, a saga)


@dataclass(frozen=True)
class Redeemed:
    voucher: Voucher
    redemption: Redemption
    created: bool  # False: a retried request, answered with the first one's result


def redemption_id_of(merchant_id: UUID, request_id: UUID) -> UUID:
    """One request id of one merchant is one redemption, however often it is sent."""
    return uuid5(NAMESPACE_URL, f"downtown:redemption:{merchant_id}:{request_id}")


class RedemptionHandlers:
    def __init__(
        self,
        context: Context,
        merchants: MerchantDirectory,
        codes: CodeIndex,
        *,
        request_keys: RequestKeys | None = None,
    ) -> None:
        self._context = context
        self._store = context.store
        self._merchants = merchants
        self._codes = codes
        self._request_keys = request_keys
        self._hot = StreamLocks()  # this process's redemptions of one voucher take turns

    async def _claim(self, scope: str, request_id: UUID, what: str, *content: object) -> None:
        """The request's key, for this content only: the same key sent with another code (so
        to another voucher's stream, which has not seen it) is refused, not redeemed twice."""
        if self._request_keys is not None:
            digest = hashlib.sha256(json.dumps([str(part) for part in content]).encode()).hexdigest()
            await self._request_keys.claim(scope, str(request_id), digest, what)

    async def look_up(self, code_text: str) -> Voucher:
        """For the public balance look-up, which must not help a guesser: a malformed code, a
        mistyped one and an unknown one all end in the same :class:`NotFound`, after the
        same index lookup (a malformed code is looked up by a hash no code can have)."""
        try:
            digest: str | None = code_hash(self._context.code_key, parse_code(code_text))
        except InvalidCode:
            digest = None
        probe = digest or hmac.new(self._context.code_key, b"not a code:" + code_text.encode(), "sha256").hexdigest()
        voucher_id = await self._codes.voucher_for(probe)
        voucher = await voucher_of(self._store, voucher_id) if digest and voucher_id else None
        if voucher is None:
            raise NotFound("no voucher matches this code; check it and try again")
        return voucher

    async def _stream_by_code(self, code: VoucherCode) -> tuple[Voucher, list[StoredEvent]]:
        """The voucher and its stream as read (a redemption decides on it without reading again)."""
        voucher_id = await self._codes.voucher_for(code_hash(self._context.code_key, code))
        history = await self._store.read(str(voucher_id)) if voucher_id is not None else []
        voucher = vouchers.replay(events_of(history))
        if voucher is None:
            raise NotFound("no voucher has this code; check it, or ask whoever sold it")
        return voucher, history

    async def redeem(self, principal: Principal, command: RedeemVoucher) -> Redeemed:
        code = parse_code(command.code)  # a typo is refused before any lookup
        merchant, (found, history) = await asyncio.gather(
            self._merchants.standing(principal.merchant()), self._stream_by_code(code)
        )
        await self._claim(
            f"redemption:{merchant.merchant_id}",
            command.request_id,
            "redemption",
            found.voucher_id,
            command.amount_cents,
            command.channel,
            command.order_id,
        )
        accepts = found.kind == "town" and memberships.accepts(
            await membership_of(self._store, found.programme_id, merchant.merchant_id)
        )
        redemption_id = redemption_id_of(merchant.merchant_id, command.request_id)
        today = self._context.today()
        before: list[bool] = []

        def decide(state: Voucher | None) -> list[IntegrationEvent]:
            before[:] = [state is not None and redemption_id in state.redemptions]
            redeemed = balance.redeem(
                state,
                redemption_id=redemption_id,
                merchant=merchant,
                amount_cents=command.amount_cents,
                today=today,
                merchant_accepts=accepts,
                channel=command.channel,
                order_id=command.order_id,
            )
            # The typed code is the one moment the masked form can be learnt (see the event).
            return [*redeemed, *vouchers.note_masked_code(state, code)] if redeemed else []

        async with self._hot.held(str(found.voucher_id)) as waited:
            voucher = await execute(
                self._store,
                str(found.voucher_id),
                vouchers.replay,
                decide,
                retries=HOT_STREAM_RETRIES,
                history=None if waited else history,
            )
        return Redeemed(voucher, voucher.redemptions[redemption_id], created=not before[0])

    async def reverse(self, principal: Principal, command: ReverseRedemption) -> Voucher:
        """The merchant who redeemed (approved and not suspended), or the association, undoes
        a redemption as a whole."""
        by = await self._giver(principal)
        today = self._context.today()
        voucher = await execute(
            self._store,
            str(command.voucher_id),
            vouchers.replay,
            lambda state: balance.reverse_redemption(
                state, redemption_id=command.redemption_id, today=today, reason=command.reason, by=by
            ),
            retries=HOT_STREAM_RETRIES,
        )
        return voucher if by is None else vouchers.seen_by(voucher, by.merchant_id)

    async def _giver(self, principal: Principal) -> MerchantStanding | None:
        """The merchant giving money back, as the replica knows it; None for the association."""
        if principal.role == "association":
            return None
        return await self._merchants.standing(principal.merchant())

    async def refund(self, principal: Principal, command: RefundVoucher) -> Voucher:
        """The merchant who redeemed (approved and not suspended) credits part of it back
        (goods returned)."""
        merchant_id = principal.merchant()
        by = await self._merchants.standing(merchant_id)
        await self._claim(
            f"refund:{merchant_id}",
            command.refund_id,
            "refund",
            command.voucher_id,
            command.redemption_id,
            command.amount_cents,
            command.reason,
        )
        today = self._context.today()
        voucher = await execute(
            self._store,
            str(command.voucher_id),
            vouchers.replay,
            lambda state: balance.refund(
                state,
                refund_id=command.refund_id,
                redemption_id=command.redemption_id,
                amount_cents=command.amount_cents,
                today=today,
                reason=command.reason,
                by=by,
            ),
            retries=HOT_STREAM_RETRIES,
        )
        return vouchers.seen_by(voucher, merchant_id)

    async def expire(self, voucher_id: UUID) -> bool:
        """The expiry job: a voucher past its validity records what is left as breakage."""
        today = self._context.today()
        before = vouchers.ensure_exists(await voucher_of(self._store, voucher_id))
        after = await execute(
            self._store,
            str(voucher_id),
            vouchers.replay,
            lambda state: balance.expire(state, today=today),
            retries=HOT_STREAM_RETRIES,
        )
        return after.version > before.version

    async def voucher(self, principal: Principal, voucher_id: UUID) -> Voucher:
        """The association sees every voucher whole; a merchant its own merchant vouchers and
        the town vouchers it redeemed, with its own redemptions only (see ``vouchers.seen_by``)."""
        voucher = vouchers.ensure_exists(await voucher_of(self._store, voucher_id))
        if principal.role == "association":
            return voucher
        return vouchers.seen_by(voucher, principal.merchant())
