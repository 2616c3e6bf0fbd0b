# SPDX-License-Identifier: AGPL-3.0-or-later
"""The documents a buyer fetches: printable vouchers (PDF, as often as they like) and a bulk
issue's codes (CSV, once).

The codes come from the purchase's seal, which only the buyer's access token opens; what
else a voucher card says is :class:`~vouchers.adapters.printable.DrawnVouchers`' (the same
drawing the buyer's e-mail carries). The PDF is drawn off the event loop by the container's
renderer (a few at a time, see ``adapters.rendering``); everything it needs is gathered
first, on the loop.
"""

from __future__ import annotations

from uuid import UUID

from vouchers.adapters.documents import IssuedCode, codes_csv
from vouchers.adapters.printable import DrawnVouchers
from vouchers.bootstrap import ApiContainer
from vouchers.domain.codes import VoucherCode
from vouchers.domain.programme import Programme
from vouchers.domain.voucher import Voucher


async def _issued(
    container: ApiContainer, purchase_id: UUID, token: str
) -> tuple[list[Voucher], dict[UUID, VoucherCode], dict[UUID, tuple[str, str | None]]]:
    handlers = container.handlers
    codes = await handlers.purchases.codes_for_buyer(purchase_id, token)
    bought = await handlers.purchases.purchase_for_buyer(purchase_id, token)
    vouchers = await handlers.purchases.issued_vouchers(bought)
    gifts: dict[UUID, tuple[str, str | None]] = {}
    if bought.secrets is not None:
        gifts = {gift.voucher_id: (gift.recipient_name, gift.message or None) for gift in bought.secrets.gifts}
    return vouchers, codes, gifts


async def printable_vouchers(container: ApiContainer, purchase_id: UUID, token: str) -> bytes:
    """The buyer's printable vouchers, as often as they ask (the e-mail brought the same)."""
    handlers = container.handlers
    purchase, codes = await handlers.purchases.printable_codes(purchase_id, token)
    vouchers = await handlers.purchases.issued_vouchers(purchase)
    programmes: dict[UUID, Programme] = {}
    for voucher in vouchers:
        if voucher.programme_id not in programmes:
            programmes[voucher.programme_id] = await handlers.programmes.programme(voucher.programme_id)
    drawing = DrawnVouchers(handlers.merchants, container.settings.display_name, container.renderer.render)
    return await drawing.pdf(purchase, vouchers, codes, programmes)


async def codes_export(container: ApiContainer, purchase_id: UUID, token: str) -> bytes:
    vouchers, codes, _ = await _issued(container, purchase_id, token)
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
    return codes_csv(rows).encode("utf-8-sig")
