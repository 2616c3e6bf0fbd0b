# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the buyer sees of a purchase, with the access token its start gave them: its status,
its codes in full once (for the printable vouchers or a bulk issue's CSV), masked after."""

from __future__ import annotations

from uuid import UUID

from downtown_events.runtime.commands import execute
from downtown_events.runtime.store import EventStore
from vouchers.app.context import Context, purchase_of, voucher_of
from vouchers.app.ports import CodeSeal
from vouchers.domain import purchase as purchases
from vouchers.domain import voucher as vouchers
from vouchers.domain.codes import VoucherCode
from vouchers.domain.purchase import Purchase


class BuyerAccess:
    """The buyer's side of :class:`~vouchers.app.purchases.PurchaseHandlers`."""

    _context: Context
    _store: EventStore
    _seal: CodeSeal

    async def purchase_for_buyer(self, purchase_id: UUID, access_token: str) -> Purchase:
        purchase = await purchase_of(self._store, purchase_id)
        return purchases.ensure_buyer(purchase, self._seal.token_hash(access_token))

    async def codes_for_buyer(self, purchase_id: UUID, access_token: str) -> dict[UUID, VoucherCode]:
        """The purchase's codes, in full; the caller records :meth:`mark_delivered` once
        the document holding them is made."""
        purchase = await self.purchase_for_buyer(purchase_id, access_token)
        purchases.deliver_codes(
            purchase, access_token_hash=self._seal.token_hash(access_token), now=self._context.now()
        )
        assert purchase.secrets is not None, "ensure_buyer found the buyer's secrets"
        sealed = self._seal.unseal(access_token, purchase_id, purchase.secrets.sealed_codes)
        return {voucher_id: VoucherCode(code) for voucher_id, code in sealed.items()}

    async def mark_delivered(self, purchase_id: UUID, access_token: str) -> None:
        token_hash = self._seal.token_hash(access_token)
        now = self._context.now()
        await execute(
            self._store,
            str(purchase_id),
            purchases.replay,
            lambda state: purchases.deliver_codes(state, access_token_hash=token_hash, now=now),
        )

    async def masked_codes(self, purchase_id: UUID, access_token: str) -> dict[UUID, str]:
        """What the buyer's status page shows of each code: enough to tell them apart."""
        purchase = await self.purchase_for_buyer(purchase_id, access_token)
        assert purchase.secrets is not None, "ensure_buyer found the buyer's secrets"
        sealed = self._seal.unseal(access_token, purchase_id, purchase.secrets.sealed_codes)
        return {voucher_id: VoucherCode(code).masked for voucher_id, code in sealed.items()}

    async def issued_vouchers(self, purchase: Purchase) -> list[vouchers.Voucher]:
        found = []
        for item in purchase.items:
            voucher = await voucher_of(self._store, item.voucher_id)
            if voucher is not None:
                found.append(voucher)
        return found
