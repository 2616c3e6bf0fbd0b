# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the buyer sees of a purchase, with the access token its start gave them: its status,
its codes masked, a bulk issue's codes in full once (its CSV), and the printable vouchers,
the buyer's own document, as often as they like (issue 16: the e-mail brings the same PDF)."""

from __future__ import annotations

import contextlib
from uuid import UUID

from downtown_events.runtime.commands import execute
from downtown_events.runtime.store import EventStore
from vouchers.app.context import Context, purchase_of, voucher_of
from vouchers.app.ports import CodeSeal
from vouchers.domain import purchase as purchases
from vouchers.domain import voucher as vouchers
from vouchers.domain.codes import VoucherCode
from vouchers.domain.errors import CodesAlreadyDelivered, InvalidChange
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

    async def printable_codes(self, purchase_id: UUID, access_token: str) -> tuple[Purchase, dict[UUID, VoucherCode]]:
        """The paid purchase and its codes in full, for the buyer's printable vouchers: their
        own document, fetched again as often as they like (a lost printout, a new phone), with
        the token that opens the purchase; the codes' once-only showing is the API's."""
        purchase = await self.purchase_for_buyer(purchase_id, access_token)
        if purchase.status != "paid":
            raise InvalidChange("the vouchers are ready once the purchase is paid")
        assert purchase.secrets is not None, "ensure_buyer found the buyer's secrets"
        sealed = self._seal.unseal(access_token, purchase_id, purchase.secrets.sealed_codes)
        return purchase, {voucher_id: VoucherCode(code) for voucher_id, code in sealed.items()}

    async def note_delivered(self, purchase_id: UUID, access_token: str) -> None:
        """Record that the buyer has had the codes (the first download of their document);
        a later one records nothing."""
        with contextlib.suppress(CodesAlreadyDelivered):
            await self.mark_delivered(purchase_id, access_token)

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
