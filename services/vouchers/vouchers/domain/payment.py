# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a payment of a purchase may bring and who may take it: the rules :func:`purchase.pay`
applies, apart so the purchase's module stays about its life cycle."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import PaymentMethod
from vouchers.domain.errors import InvalidChange, NotAllowed, checked
from vouchers.domain.private_events import PurchaseBonusGranted
from vouchers.domain.programme import Programme

if TYPE_CHECKING:  # purchase.py decides with these; only the type is needed here
    from vouchers.domain.purchase import Purchase

VERIFIED: frozenset[PaymentMethod] = frozenset({"provider", "bank_transfer"})
"""Payments whose money someone other than the seller saw arrive (the provider's signed
callback, the association's bank account): the only ones a campaign adds its bonus to. Cash
is in the seller's hands; the association sees it only when it settles with the merchant,
after the vouchers are long printed, so cash earns no bonus."""


@dataclass(frozen=True)
class BonusGrant:
    """What one campaign added to a purchase paid now: voucher id -> bonus cents."""

    campaign_id: UUID
    bonuses: Mapping[UUID, int]


def ensure_takes_cash(purchase: Purchase, merchant_id: UUID | None, programmes: Mapping[UUID, Programme]) -> None:
    """Cash is confirmed by the merchant who took it, for what that merchant sells itself."""
    if merchant_id is None:
        raise InvalidChange("cash is taken by a merchant at the counter; name the merchant")
    if purchase.merchant_id == merchant_id:
        return  # its own counter sale
    own = [programmes.get(item.programme_id) for item in purchase.items]
    if purchase.merchant_id is None and all(p is not None and p.merchant_id == merchant_id for p in own):
        return  # an online purchase of its own vouchers only
    raise NotAllowed(
        "a merchant takes cash for its own counter sales and its own vouchers only; town vouchers bought online "
        "are paid to the association (by the payment provider or bank transfer)"
    )


def granted(purchase: Purchase, method: PaymentMethod, bonuses: Sequence[BonusGrant]) -> list[IntegrationEvent]:
    """The bonus this payment brings, on the purchase's stream: each voucher's once, for
    verified money only."""
    if bonuses and method not in VERIFIED:
        raise InvalidChange(f"a campaign's bonus comes with verified money, not with a payment in {method}")
    sold = {item.voucher_id for item in purchase.items}
    given = [voucher_id for grant in bonuses for voucher_id in grant.bonuses]
    if len(set(given)) != len(given) or not set(given) <= sold:
        raise InvalidChange("each voucher of the purchase carries one campaign's bonus at most")
    if any(item.campaign_id is not None for item in purchase.items if item.voucher_id in set(given)):
        raise InvalidChange("these vouchers hold a bonus reserved when the purchase started")
    return [
        checked(
            PurchaseBonusGranted,
            purchase_id=purchase.purchase_id,
            campaign_id=grant.campaign_id,
            bonuses=dict(grant.bonuses),
        )
        for grant in bonuses
        if grant.bonuses
    ]
