# SPDX-License-Identifier: AGPL-3.0-or-later
"""The documents a buyer fetches once: printable vouchers (PDF) and a bulk issue's codes (CSV).

The codes come from the purchase's seal, which only the buyer's access token opens; what
else a voucher card says (the town, the programme, where it is valid, until when) comes
from the issued vouchers and their programmes, each read once however many vouchers name
it. The PDF is drawn off the event loop by the container's renderer (a few at a time, see
``adapters.rendering``); everything it needs is gathered first, on the loop.
"""

from __future__ import annotations

from functools import partial
from uuid import UUID

from vouchers.adapters.documents import IssuedCode, VoucherDocument, codes_csv, voucher_pdf
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
    vouchers, codes, gifts = await _issued(container, purchase_id, token)
    town = container.settings.display_name
    programmes: dict[UUID, Programme] = {}
    places: dict[UUID | None, str] = {None: f"bei allen teilnehmenden Geschäften in {town}"}
    pages = []
    for voucher in vouchers:
        if voucher.programme_id not in programmes:
            programmes[voucher.programme_id] = await container.handlers.programmes.programme(voucher.programme_id)
        merchant_id = voucher.merchant_id
        if merchant_id is not None and merchant_id not in places:
            places[merchant_id] = (await container.handlers.merchants.standing(merchant_id)).name or town
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
    return await container.renderer.render(partial(voucher_pdf, pages))


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
