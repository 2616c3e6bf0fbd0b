# SPDX-License-Identifier: AGPL-3.0-or-later
"""A campaign: the town adds ``bonus_percent`` to every voucher bought in one programme,
from a fixed budget, with a cap per buyer and a deadline (as Dülmen and Gescher did).

The bonus is given when the purchase's money is verified (the payment provider's signed
callback, a bank transfer the association saw), never before: a purchase nobody pays holds
none of the budget (five unpaid purchases once emptied a campaign for 72 hours). At that
moment the campaign reserves and grants it in one decision (:func:`grant_at_payment`:
``CampaignBonusReserved`` then ``CampaignBonusGranted``, the same events integrators knew).
Purchases started before that rule held a reservation from their start; it is still
*granted* when they are paid or *released* when they expire unpaid. Every decision keeps
reserved + granted within the budget, and the event store's concurrency check on the
campaign stream makes that hold between concurrent payments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.vouchers import (
    CampaignBonusGranted,
    CampaignBonusReleased,
    CampaignBonusReserved,
    CampaignEnded,
    CampaignStarted,
)

# The bonus arithmetic lives in bonus.py (this module would pass 250 lines); the campaign's
# whole API is still campaign.<name>.
from vouchers.domain.bonus import offer_bonus as offer_bonus
from vouchers.domain.bonus import reserved_bonuses as reserved_bonuses
from vouchers.domain.bonus import split_bonus as split_bonus
from vouchers.domain.errors import AlreadyExists, InvalidChange, NotFound, checked
from vouchers.domain.private_events import CampaignBuyerRecorded
from vouchers.domain.programme import Programme, ensure_selling

ReservationStatus = Literal["reserved", "granted", "released"]
CampaignState = Literal["running", "ended", "expired", "spent"]


@dataclass(frozen=True)
class Reservation:
    bonus_cents: int
    buyer_ref: str | None = None
    status: ReservationStatus = "reserved"


@dataclass(frozen=True)
class Campaign:
    campaign_id: UUID
    programme_id: UUID
    name: str
    bonus_percent: int
    budget_cents: int
    per_buyer_cap_cents: int
    ends_at: datetime
    ended: bool = False
    reserved_cents: int = 0
    granted_cents: int = 0
    # Read-only by convention: a fold copies them once, not once per event (see _fold).
    reservations: Mapping[UUID, Reservation] = field(default_factory=dict)
    buyer_totals: Mapping[str, int] = field(default_factory=dict)
    version: int = 0

    @property
    def remaining_cents(self) -> int:
        return self.budget_cents - self.reserved_cents - self.granted_cents

    def running_at(self, now: datetime) -> bool:
        """A campaign promises bonus until the association ends it or its deadline passes."""
        return not self.ended and now < self.ends_at


def state_of(*, ended: bool, ends_at: datetime, remaining_cents: int, now: datetime) -> CampaignState:
    """Where a campaign stands for the association: ended early by it, past its deadline,
    running with nothing left to promise (``spent``: bonus comes back only from a purchase
    that expires unpaid), or running. Given as columns, so a listed row needs no replay."""
    if ended:
        return "ended"
    if now >= ends_at:
        return "expired"
    return "spent" if remaining_cents <= 0 else "running"


def evolve(state: Campaign | None, event: IntegrationEvent) -> Campaign:
    """The campaign after one more of its events."""
    return _fold(state, [event])


def replay(events: Iterable[IntegrationEvent]) -> Campaign | None:
    history = list(events)
    if history and not isinstance(history[0], CampaignStarted):
        raise NotFound("no such campaign")
    return _fold(None, history) if history else None


def _fold(state: Campaign | None, events: Sequence[IntegrationEvent]) -> Campaign:
    """A campaign's stream has a few events per purchase, thousands of them: the tallies are
    copied once per fold and updated in place, so replaying is linear, not quadratic."""
    if state is None:
        first, *events = events
        if not isinstance(first, CampaignStarted):
            raise ValueError(f"{type(first).__name__} before CampaignStarted")
        state = Campaign(
            first.campaign_id,
            first.programme_id,
            first.name,
            first.bonus_percent,
            first.budget_cents,
            first.per_buyer_cap_cents,
            first.ends_at,
            version=1,
        )
    reservations, totals = dict(state.reservations), dict(state.buyer_totals)
    reserved, granted, ended = state.reserved_cents, state.granted_cents, state.ended
    for event in events:
        match event:
            case CampaignBonusReserved(purchase_id=purchase, bonus_cents=bonus):
                reservations[purchase] = Reservation(bonus)
                reserved += bonus
            case CampaignBuyerRecorded(purchase_id=purchase, buyer_ref=buyer):
                reservations[purchase] = replace(reservations[purchase], buyer_ref=buyer)
                totals[buyer] = totals.get(buyer, 0) + reservations[purchase].bonus_cents
            case CampaignBonusGranted(purchase_id=purchase, bonus_cents=bonus):
                reservations[purchase] = replace(reservations[purchase], status="granted")
                reserved, granted = reserved - bonus, granted + bonus
            case CampaignBonusReleased(purchase_id=purchase, bonus_cents=bonus):
                holder = reservations[purchase].buyer_ref
                reservations[purchase] = replace(reservations[purchase], status="released")
                reserved -= bonus
                if holder is not None:
                    totals[holder] -= bonus
            case CampaignEnded():
                ended = True
    return replace(
        state,
        reserved_cents=reserved,
        granted_cents=granted,
        ended=ended,
        reservations=reservations,
        buyer_totals=totals,
        version=state.version + len(events),
    )


def ensure_exists(state: Campaign | None) -> Campaign:
    if state is None:
        raise NotFound("no such campaign")
    return state


def start(
    state: Campaign | None,
    *,
    campaign_id: UUID,
    programme: Programme,
    name: str,
    bonus_percent: int,
    budget_cents: int,
    per_buyer_cap_cents: int,
    ends_at: datetime,
    now: datetime,
) -> list[IntegrationEvent]:
    if state is not None:
        raise AlreadyExists("this campaign was started before")
    ensure_selling(programme)
    if ends_at <= now:
        raise InvalidChange("the campaign's deadline must lie in the future")
    if per_buyer_cap_cents > budget_cents:
        raise InvalidChange("the cap per buyer cannot exceed the campaign's budget")
    return [
        checked(
            CampaignStarted,
            campaign_id=campaign_id,
            programme_id=programme.programme_id,
            name=name,
            bonus_percent=bonus_percent,
            budget_cents=budget_cents,
            per_buyer_cap_cents=per_buyer_cap_cents,
            ends_at=ends_at,
        )
    ]


def end(state: Campaign | None, *, reason: str = "", now: datetime) -> list[IntegrationEvent]:
    """Ended early by the association; a campaign past its deadline has ended by itself.
    Reservations made before stay valid and are granted when their purchases are paid."""
    campaign = ensure_exists(state)
    if not campaign.running_at(now):
        return []
    return [checked(CampaignEnded, campaign_id=campaign.campaign_id, reason=reason)]


def reserve(
    state: Campaign | None,
    *,
    purchase_id: UUID,
    buyer_ref: str,
    amounts_cents: Sequence[int],
    now: datetime,
    also_known_as: Sequence[str] = (),
) -> list[IntegrationEvent]:
    """Hold the bonus for a purchase about to start; nothing when there is none to give (a
    purchase without bonus is still a purchase). A retry for the same purchase holds nothing
    more. Afterwards :func:`vouchers.domain.bonus.reserved_bonuses` gives the items' bonuses.
    A payment grants what it reserves at once (:func:`grant_at_payment`); reservations held
    from a purchase's start are the log's from before that rule."""
    campaign = ensure_exists(state)
    if purchase_id in campaign.reservations:
        return []
    offered = offer_bonus(
        campaign, buyer_ref=buyer_ref, amounts_cents=amounts_cents, now=now, also_known_as=also_known_as
    )
    total = sum(offered)
    if total == 0:
        return []
    return [
        CampaignBonusReserved(campaign_id=campaign.campaign_id, purchase_id=purchase_id, bonus_cents=total),
        checked(CampaignBuyerRecorded, campaign_id=campaign.campaign_id, purchase_id=purchase_id, buyer_ref=buyer_ref),
    ]


def grant_at_payment(
    state: Campaign | None,
    *,
    purchase_id: UUID,
    buyer_ref: str,
    amounts_cents: Sequence[int],
    now: datetime,
    also_known_as: Sequence[str] = (),
) -> list[IntegrationEvent]:
    """The purchase's money was verified: the bonus the campaign offers now (its budget, the
    buyer's cap, its deadline) is reserved and granted in one decision; nothing when there is
    none to give. A purchase the campaign answered before (a retried payment) decides nothing
    more. Afterwards :func:`vouchers.domain.bonus.reserved_bonuses` gives the items' bonuses."""
    campaign = ensure_exists(state)
    reserved = reserve(
        campaign,
        purchase_id=purchase_id,
        buyer_ref=buyer_ref,
        amounts_cents=amounts_cents,
        now=now,
        also_known_as=also_known_as,
    )
    if not reserved:
        return []
    return [*reserved, *grant(_fold(campaign, reserved), purchase_id=purchase_id)]


def grant(state: Campaign | None, *, purchase_id: UUID) -> list[IntegrationEvent]:
    """The purchase was paid: its bonus is given, even after the deadline (it was promised
    before). Granting twice decides nothing."""
    return _settle(state, purchase_id, "granted", "this purchase's bonus was released when it expired unpaid")


def release(state: Campaign | None, *, purchase_id: UUID) -> list[IntegrationEvent]:
    """The purchase expired unpaid (or never started): its bonus returns to the budget and
    to the buyer's cap. Releasing twice decides nothing."""
    return _settle(state, purchase_id, "released", "this purchase was paid; its bonus is on its vouchers")


def _settle(
    state: Campaign | None, purchase_id: UUID, outcome: ReservationStatus, refusal: str
) -> list[IntegrationEvent]:
    """A reservation ends once, granted or released; the same end again decides nothing."""
    campaign = ensure_exists(state)
    reservation = campaign.reservations.get(purchase_id)
    if reservation is None:
        raise NotFound("this purchase holds no bonus of the campaign")
    if reservation.status == outcome:
        return []
    if reservation.status != "reserved":
        raise InvalidChange(refusal)
    settled = CampaignBonusGranted if outcome == "granted" else CampaignBonusReleased
    return [settled(campaign_id=campaign.campaign_id, purchase_id=purchase_id, bonus_cents=reservation.bonus_cents)]
