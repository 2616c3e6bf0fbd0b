# SPDX-License-Identifier: AGPL-3.0-or-later
"""A merchant's membership of a town programme: whether it accepts the programme's vouchers.

One stream per (programme, merchant) pair, its id derived from both, so joining twice at
once meets the event store's concurrency check instead of making two memberships.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import reduce
from uuid import UUID, uuid5

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import MerchantJoinedProgramme, MerchantLeftProgramme
from vouchers.domain.errors import InvalidChange, NotFound
from vouchers.domain.merchant_standing import MerchantStanding, ensure_may_redeem
from vouchers.domain.programme import Programme, ensure_selling


@dataclass(frozen=True)
class Membership:
    membership_id: UUID
    programme_id: UUID
    merchant_id: UUID
    joined: bool = True
    version: int = 0


def membership_id(programme_id: UUID, merchant_id: UUID) -> UUID:
    """The membership's stream id: the same pair always gives the same id."""
    return uuid5(programme_id, str(merchant_id))


def evolve(state: Membership | None, event: IntegrationEvent) -> Membership:
    match event:
        case MerchantJoinedProgramme(membership_id=mid, programme_id=pid, merchant_id=merchant):
            version = state.version + 1 if state is not None else 1
            return Membership(mid, pid, merchant, joined=True, version=version)
        case MerchantLeftProgramme() if state is not None:
            return replace(state, joined=False, version=state.version + 1)
    if state is None:
        raise ValueError(f"{type(event).__name__} before MerchantJoinedProgramme")
    return replace(state, version=state.version + 1)


def replay(events: Iterable[IntegrationEvent]) -> Membership | None:
    history = list(events)
    if history and not isinstance(history[0], MerchantJoinedProgramme):
        raise NotFound("no such programme membership")
    return reduce(evolve, history, None)


def accepts(state: Membership | None) -> bool:
    """Whether the merchant takes the programme's vouchers now: what redeeming a town voucher
    asks (``merchant_accepts``)."""
    return state is not None and state.joined


def join(state: Membership | None, *, programme: Programme, merchant: MerchantStanding) -> list[IntegrationEvent]:
    """Joining again after leaving is allowed; joining while a member decides nothing."""
    ensure_selling(programme)
    if programme.kind != "town":
        raise InvalidChange("only town programmes are joined; a merchant programme is its merchant's alone")
    ensure_may_redeem(merchant)
    if accepts(state):
        return []
    return [
        MerchantJoinedProgramme(
            membership_id=membership_id(programme.programme_id, merchant.merchant_id),
            programme_id=programme.programme_id,
            merchant_id=merchant.merchant_id,
        )
    ]


def leave(state: Membership | None) -> list[IntegrationEvent]:
    """Redemptions already made stay settled; leaving twice decides nothing."""
    if state is None:
        raise NotFound("this merchant never joined the programme")
    if not state.joined:
        return []
    return [
        MerchantLeftProgramme(
            membership_id=state.membership_id, programme_id=state.programme_id, merchant_id=state.merchant_id
        )
    ]
