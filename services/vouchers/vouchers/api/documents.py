# SPDX-License-Identifier: AGPL-3.0-or-later
"""The documents a buyer fetches: printable vouchers (PDF, as often as they like) and a bulk
issue's codes (CSV, once).

The codes come from the purchase's seal, which only the buyer's access token opens; what
else a voucher card says is :class:`~vouchers.adapters.printable.DrawnVouchers`' (the same
drawing the buyer's e-mail carries). The PDF is drawn off the event loop by the container's
renderer (a few at a time, see ``adapters.rendering``); everything it needs is gathered
first, on the loop. Both are written in the language the purchase recorded for its buyer (the
language of their mails), from the vouchers' catalogue with the town's texts over it.
"""

from __future__ import annotations

from uuid import UUID

from downtown_events.runtime.texts import Texts
from vouchers.adapters.documents import CSV_ENCODING, IssuedCode, codes_csv
from vouchers.adapters.documents.wording import Wording
from vouchers.adapters.printable import DrawnVouchers
from vouchers.app.notifications import mail_texts
from vouchers.bootstrap import ApiContainer
from vouchers.domain.codes import VoucherCode
from vouchers.domain.programme import Programme
from vouchers.domain.purchase import Purchase
from vouchers.domain.voucher import Voucher


def document_texts(container: ApiContainer) -> Texts:
    """The vouchers' texts with the town's over them: the catalogue the mails use, one per process."""
    settings = container.settings
    return mail_texts(settings.texts_dir, settings.timezone)


async def _issued(
    container: ApiContainer, purchase_id: UUID, token: str
) -> tuple[Purchase, list[Voucher], dict[UUID, VoucherCode]]:
    handlers = container.handlers
    codes = await handlers.purchases.codes_for_buyer(purchase_id, token)
    bought = await handlers.purchases.purchase_for_buyer(purchase_id, token)
    vouchers = await handlers.purchases.issued_vouchers(bought)
    return bought, vouchers, codes


async def printable_vouchers(container: ApiContainer, purchase_id: UUID, token: str) -> bytes:
    """The buyer's printable vouchers, as often as they ask (the e-mail brought the same)."""
    handlers = container.handlers
    purchase, codes = await handlers.purchases.printable_codes(purchase_id, token)
    vouchers = await handlers.purchases.issued_vouchers(purchase)
    programmes: dict[UUID, Programme] = {}
    for voucher in vouchers:
        if voucher.programme_id not in programmes:
            programmes[voucher.programme_id] = await handlers.programmes.programme(voucher.programme_id)
    drawing = DrawnVouchers(
        handlers.merchants, container.settings.display_name, container.renderer.render, texts=document_texts(container)
    )
    return await drawing.pdf(purchase, vouchers, codes, programmes)


async def codes_export(container: ApiContainer, purchase_id: UUID, token: str) -> bytes:
    bought, vouchers, codes = await _issued(container, purchase_id, token)
    names = {}
    for voucher in vouchers:
        if voucher.programme_id not in names:
            names[voucher.programme_id] = (
                await container.handlers.programmes.programme(voucher.programme_id)
            ).terms.name
    rows = [
        IssuedCode(
            voucher_id=voucher.voucher_id,
            code=codes[voucher.voucher_id],
            value_cents=voucher.value_cents,
            expires_on=voucher.expires_on,
            programme_name=names[voucher.programme_id],
        )
        for voucher in vouchers
    ]
    return codes_csv(rows, Wording.of(bought.language, document_texts(container))).encode(CSV_ENCODING)
