"""What the vouchers service knows of a merchant: a replica of the catalog's, reduced to the
one question the voucher rules ask (may this merchant sell and redeem vouchers now?).

The replica is a read model kept from the catalog's topic (not part of the domain); the app
layer hands the domain a :class:`MerchantStanding` built from its row, or
:meth:`MerchantStanding.unknown` when there is none yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from vouchers.domain.errors import NotAllowed, NotYetKnown

MerchantStatus = Literal["active", "closed", "suspended", "unknown"]
"""``closed``: the shop is shut for now (lockdown, holidays) and may still sell and redeem
vouchers, which is what keeps a shut shop alive; ``suspended``: the association stopped it;
``unknown``: the catalog's event has not arrived yet."""


@dataclass(frozen=True)
class MerchantStanding:
    merchant_id: UUID
    name: str
    status: MerchantStatus

    @classmethod
    def unknown(cls, merchant_id: UUID) -> MerchantStanding:
        """For a merchant id the replica has no row for (yet)."""
        return cls(merchant_id, "", "unknown")


def _ensure_known_and_in_good_standing(standing: MerchantStanding, doing: str) -> MerchantStanding:
    if standing.status == "unknown":
        raise NotYetKnown(f"this merchant is not known to the vouchers service yet; try again in a moment to {doing}")
    if standing.status == "suspended":
        name = standing.name or "this merchant"
        raise NotAllowed(f"the town's association has suspended {name}; it may not {doing} until reinstated")
    return standing


def ensure_may_sell(standing: MerchantStanding) -> MerchantStanding:
    """A merchant sells vouchers (its own, or town vouchers at its counter) unless suspended."""
    return _ensure_known_and_in_good_standing(standing, "sell vouchers")


def ensure_may_redeem(standing: MerchantStanding) -> MerchantStanding:
    """A merchant takes vouchers in payment unless suspended; a closed shop still may (online,
    by pickup or after reopening)."""
    return _ensure_known_and_in_good_standing(standing, "accept vouchers")
