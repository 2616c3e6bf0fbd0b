# SPDX-License-Identifier: AGPL-3.0-or-later
"""What the vouchers service knows of a merchant: a replica of the catalog's, reduced to the
questions the voucher rules ask (may this merchant act with money now: sell, take cash,
redeem, give money back, set its programmes' terms?).

The replica is a read model kept from the catalog's topic (not part of the domain); the app
layer hands the domain a :class:`MerchantStanding` built from its row, or
:meth:`MerchantStanding.unknown` when there is none yet.

Registration at the catalog is open to anyone; acting with money is not. Only a merchant the
town's association approved (``MerchantApproved``, and not withdrawn since) may do anything
that moves money, and only while it is not suspended: a stranger who registered a minute
ago must not be able to mint town vouchers at its own counter and redeem them against the
association's settlement.
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
Approval = Literal["approved", "none", "withdrawn"]
"""``approved``: the association vouches for the merchant; ``none``: it never did (yet);
``withdrawn``: it did, and took it back."""


@dataclass(frozen=True)
class MerchantStanding:
    merchant_id: UUID
    name: str
    status: MerchantStatus
    approval: Approval = "none"

    @classmethod
    def unknown(cls, merchant_id: UUID) -> MerchantStanding:
        """For a merchant id the replica has no row for (yet)."""
        return cls(merchant_id, "", "unknown")

    @property
    def approved(self) -> bool:
        return self.approval == "approved"


def ensure_may_act_with_money(standing: MerchantStanding, doing: str) -> MerchantStanding:
    """The one rule behind every money move of a merchant: known, not suspended, approved.
    ``doing`` completes "it may not …" in the reason."""
    name = standing.name or "this merchant"
    if standing.status == "unknown":
        raise NotYetKnown(f"this merchant is not known to the vouchers service yet; try again in a moment to {doing}")
    if standing.status == "suspended":
        raise NotAllowed(f"the town's association has suspended {name}; it may not {doing} until reinstated")
    if standing.approval == "withdrawn":
        raise NotAllowed(
            f"the town's association withdrew its approval of {name}; it may not {doing} until approved again"
        )
    if standing.approval != "approved":
        raise NotAllowed(
            f"the town's association has not approved {name} yet; it may not {doing} until the association "
            "approves it (registering alone does not allow acting with money)"
        )
    return standing


def ensure_may_sell(standing: MerchantStanding) -> MerchantStanding:
    """A merchant sells vouchers (its own, or town vouchers at its counter), opens programmes
    and takes cash for vouchers when approved and not suspended; a closed shop still may."""
    return ensure_may_act_with_money(standing, "sell vouchers")


def ensure_may_redeem(standing: MerchantStanding) -> MerchantStanding:
    """A merchant takes vouchers in payment (and joins town programmes to do so) when approved
    and not suspended; a closed shop still may (online, by pickup or after reopening)."""
    return ensure_may_act_with_money(standing, "accept vouchers")


def ensure_may_give_back(standing: MerchantStanding) -> MerchantStanding:
    """Reversing or refunding a redemption puts money back on a voucher: the same standing as
    redeeming. The association (and the order saga) give back without a merchant's standing."""
    return ensure_may_act_with_money(standing, "credit vouchers back")


def ensure_may_set_terms(standing: MerchantStanding) -> MerchantStanding:
    """New terms are what the next sales are made on: only a merchant that may sell sets them."""
    return ensure_may_act_with_money(standing, "change its programmes' terms")
