# SPDX-License-Identifier: AGPL-3.0-or-later
"""How much bonus a campaign adds to a purchase's vouchers: floor(amount × percent / 100)
per item, as far as the remaining budget and the buyer's remaining cap allow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:  # campaign.py decides with these; only the type is needed here
    from vouchers.domain.campaign import Campaign


def split_bonus(available_cents: int, amounts_cents: Sequence[int], bonus_percent: int) -> list[int]:
    """Each item's bonus, floor(amount × percent / 100), in item order until ``available``
    runs out: the item that meets the limit gets what is left, those after it none."""
    bonuses = []
    for amount in amounts_cents:
        bonus = min(amount * bonus_percent // 100, available_cents)
        available_cents -= bonus
        bonuses.append(bonus)
    return bonuses


def offer_bonus(
    campaign: Campaign,
    *,
    buyer_ref: str,
    amounts_cents: Sequence[int],
    now: datetime,
    also_known_as: Sequence[str] = (),
) -> list[int]:
    """What the campaign would add to each item now: within the remaining budget and what
    is left of this buyer's cap; partial or zero when either is (nearly) used up. The cap
    counts what the buyer got under ``buyer_ref`` and under every ``also_known_as`` (the
    references an earlier version derived from the same address, see ``CodeSeal.buyer_refs``)."""
    if not campaign.running_at(now):
        return [0] * len(amounts_cents)
    used = sum(campaign.buyer_totals.get(ref, 0) for ref in {buyer_ref, *also_known_as})
    left_for_buyer = campaign.per_buyer_cap_cents - used
    return split_bonus(max(0, min(campaign.remaining_cents, left_for_buyer)), amounts_cents, campaign.bonus_percent)


def reserved_bonuses(campaign: Campaign, *, purchase_id: UUID, amounts_cents: Sequence[int]) -> list[int]:
    """The items' bonuses a reservation stands for: the same split :func:`reserve` made,
    since splitting its total over the same amounts gives the same parts."""
    reservation = campaign.reservations.get(purchase_id)
    total = reservation.bonus_cents if reservation is not None else 0
    return split_bonus(total, amounts_cents, campaign.bonus_percent)
