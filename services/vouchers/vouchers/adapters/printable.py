# SPDX-License-Identifier: AGPL-3.0-or-later
"""A paid purchase's vouchers as the PDF the buyer prints: one drawing for the download
(``GET /purchases/{id}/vouchers.pdf``) and for the e-mail that brings the vouchers.

What a voucher card says beside its code (the town, the programme, where it is valid, until
when, a gift's recipient and message) comes from the issued vouchers, their programmes and,
for a merchant's programme, the merchants' replica, each read once however many vouchers name
it. The drawing itself runs where ``render`` puts it: the API's renderer (a few at a time,
see ``adapters.rendering``), the worker's thread. It is worded in the language the purchase
recorded for its buyer (the one their mails are in), from ``texts`` (the town's over the
package's; without them the package's own).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from uuid import UUID

from downtown_events.runtime.texts import Texts
from vouchers.adapters.documents import VoucherDocument, voucher_pdf
from vouchers.adapters.documents.wording import Wording
from vouchers.app.ports import MerchantDirectory
from vouchers.domain.codes import VoucherCode
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import Purchase
from vouchers.domain.voucher import Voucher

Render = Callable[[Callable[[], bytes]], Awaitable[bytes]]


async def in_a_thread(draw: Callable[[], bytes]) -> bytes:
    """The worker's way to draw: off the event loop, so its consumers keep going meanwhile."""
    return await asyncio.to_thread(draw)


class DrawnVouchers:
    """The :class:`~vouchers.app.notifier.PrintableVouchers` of the town ``town_name``."""

    def __init__(
        self,
        merchants: MerchantDirectory,
        town_name: str,
        render: Render = in_a_thread,
        texts: Texts | None = None,
    ) -> None:
        self._merchants = merchants
        self._town = town_name
        self._render = render
        self._texts = texts

    async def pdf(
        self,
        purchase: Purchase,
        vouchers: Sequence[Voucher],
        codes: Mapping[UUID, VoucherCode],
        programmes: Mapping[UUID, Programme],
    ) -> bytes:
        pages = await self.pages(purchase, vouchers, codes, programmes)
        wording = Wording.of(purchase.language, self._texts)
        return await self._render(partial(voucher_pdf, pages, wording))

    async def pages(
        self,
        purchase: Purchase,
        vouchers: Sequence[Voucher],
        codes: Mapping[UUID, VoucherCode],
        programmes: Mapping[UUID, Programme],
    ) -> list[VoucherDocument]:
        town = self._town
        gifts: dict[UUID, tuple[str, str | None]] = {}
        if purchase.secrets is not None:
            gifts = {gift.voucher_id: (gift.recipient_name, gift.message or None) for gift in purchase.secrets.gifts}
        # A town voucher's place (None) the card words itself: every participating shop.
        places: dict[UUID | None, str | None] = {None: None}
        pages = []
        for voucher in vouchers:
            merchant_id = voucher.merchant_id
            if merchant_id is not None and merchant_id not in places:
                places[merchant_id] = (await self._merchants.standing(merchant_id)).name or town
            recipient, message = gifts.get(voucher.voucher_id, (None, None))
            pages.append(
                VoucherDocument(
                    voucher_id=voucher.voucher_id,
                    code=codes[voucher.voucher_id],
                    value_cents=voucher.value_cents,
                    town_name=town,
                    programme_name=programmes[voucher.programme_id].terms.name,
                    valid_at=places[merchant_id],
                    expires_on=voucher.expires_on,
                    recipient_name=recipient,
                    message=message,
                    bonus_cents=voucher.bonus_cents,
                )
            )
        return pages
