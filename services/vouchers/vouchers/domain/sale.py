# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a sale is made of: the buyer's secrets, items that are sellable (open programmes,
amounts they sell, merchants allowed to sell, one code per voucher, no bonus before the
money is there), and the events that start it. Shared by a buyer's purchase and the
association's bulk issue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import PurchaseChannel, PurchaseItem, PurchaseStarted
from vouchers.domain.errors import InvalidChange, NotAllowed, checked
from vouchers.domain.merchant_standing import MerchantStanding, ensure_may_sell
from vouchers.domain.private_events import Gift, PurchaseSecretsSealed
from vouchers.domain.programme import Programme, check_amount, ensure_selling

MAX_ITEMS = 500
Language = Literal["de", "en"]
"""The languages a buyer's mails are written in."""


@dataclass(frozen=True)
class BuyerSecrets:
    """What the app layer made for the buyer: the keyed reference standing for them, the hash
    of their access token, the codes sealed under it, and each code's keyed hash."""

    buyer_email: str = field(repr=False)
    buyer_ref: str = field(repr=False)
    access_token_hash: str = field(repr=False)
    sealed_codes: str = field(repr=False)
    code_hashes: Mapping[UUID, str] = field(repr=False)
    gifts: Sequence[Gift] = field(default=(), repr=False)
    language: Language = "de"
    delivery_sealed_codes: str | None = field(default=None, repr=False)
    """The codes sealed under the service's delivery key, for the paid vouchers' e-mail."""


def check_items(
    items: Sequence[PurchaseItem],
    secrets: BuyerSecrets,
    programmes: Mapping[UUID, Programme],
    merchants: Mapping[UUID, MerchantStanding],
    seller: MerchantStanding | None,
) -> None:
    if not items:
        raise InvalidChange("a purchase needs at least one voucher")
    if len(items) > MAX_ITEMS:
        raise InvalidChange(f"a purchase holds at most {MAX_ITEMS} vouchers; split it")
    ids = [item.voucher_id for item in items]
    if len(set(ids)) != len(ids):
        raise InvalidChange("each voucher of a purchase needs its own id")
    if set(secrets.code_hashes) != set(ids):
        raise InvalidChange("every voucher of the purchase needs exactly one code")
    gift_ids = [gift.voucher_id for gift in secrets.gifts]
    if len(set(gift_ids)) != len(gift_ids) or set(gift_ids) != {item.voucher_id for item in items if item.gift}:
        raise InvalidChange("every voucher marked as a gift needs one recipient, and only those do")
    if any(item.bonus_cents or item.campaign_id is not None for item in items):
        # The bonus is the town's money: given only once the buyer's money is verified.
        raise InvalidChange("a campaign's bonus is granted when the purchase is paid, not when it starts")
    if seller is not None:
        ensure_may_sell(seller)
    for item in items:
        _check_item(item, programmes, merchants, seller)


def _check_item(
    item: PurchaseItem,
    programmes: Mapping[UUID, Programme],
    merchants: Mapping[UUID, MerchantStanding],
    seller: MerchantStanding | None,
) -> None:
    programme = ensure_selling(programmes.get(item.programme_id))
    check_amount(programme, item.amount_cents)
    if programme.merchant_id is None:
        return
    ensure_may_sell(merchants.get(programme.merchant_id) or MerchantStanding.unknown(programme.merchant_id))
    if seller is not None and seller.merchant_id != programme.merchant_id:
        raise NotAllowed("a merchant sells its own vouchers and town vouchers, not another merchant's")


def campaign_bonuses(items: Sequence[PurchaseItem]) -> dict[UUID, int]:
    """Bonus per campaign of a purchase's items: granted at its payment (or, reserved at its
    start before bonuses waited for the money, released when it expires unpaid)."""
    totals: dict[UUID, int] = {}
    for item in items:
        if item.campaign_id is not None and item.bonus_cents:
            totals[item.campaign_id] = totals.get(item.campaign_id, 0) + item.bonus_cents
    return totals


def started_events(
    purchase_id: UUID,
    channel: PurchaseChannel,
    items: Sequence[PurchaseItem],
    secrets: BuyerSecrets,
    expires_at: datetime,
    seller: MerchantStanding | None,
) -> list[IntegrationEvent]:
    """The public ``PurchaseStarted`` and, with it, the private secrets of the purchase."""
    started = checked(
        PurchaseStarted,
        purchase_id=purchase_id,
        channel=channel,
        items=list(items),
        total_cents=sum(item.amount_cents for item in items),
        expires_at=expires_at,
        merchant_id=seller.merchant_id if seller is not None else None,
    )
    sealed = checked(
        PurchaseSecretsSealed,
        purchase_id=purchase_id,
        buyer_email=secrets.buyer_email,
        buyer_ref=secrets.buyer_ref,
        access_token_hash=secrets.access_token_hash,
        sealed_codes=secrets.sealed_codes,
        code_hashes=dict(secrets.code_hashes),
        gifts=list(secrets.gifts),
        language=secrets.language,
        delivery_sealed_codes=secrets.delivery_sealed_codes,
    )
    return [started, sealed]
