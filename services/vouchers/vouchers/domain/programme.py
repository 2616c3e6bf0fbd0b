# SPDX-License-Identifier: AGPL-3.0-or-later
"""A voucher programme: what is sold (denominations, a free amount), for whom, how long it
stays valid. A *merchant* programme sells one merchant's vouchers; a *town* programme is the
association's Stadtgutschein, accepted by every merchant that joined it (see membership)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import reduce
from uuid import UUID

from downtown_events.contract import IntegrationEvent
from downtown_events.money import format_money
from downtown_events.vouchers import (
    ProgrammeChanged,
    ProgrammeClosed,
    ProgrammeKind,
    ProgrammeOpened,
    ProgrammeTerms,
    ValidityPolicy,
)
from vouchers.domain.errors import AlreadyExists, InvalidChange, LimitReached, NotAllowed, NotFound
from vouchers.domain.merchant_standing import MerchantStanding, ensure_may_sell, ensure_may_set_terms
from vouchers.domain.programme_names import ReservedNames


@dataclass(frozen=True)
class Programme:
    programme_id: UUID
    kind: ProgrammeKind
    merchant_id: UUID | None
    terms: ProgrammeTerms
    closed: bool = False
    version: int = 0


def evolve(state: Programme | None, event: IntegrationEvent) -> Programme:
    """The programme after one more of its events."""
    if isinstance(event, ProgrammeOpened):
        return Programme(event.programme_id, event.kind, event.merchant_id, event.terms, version=1)
    if state is None:
        raise ValueError(f"{type(event).__name__} before ProgrammeOpened")
    state = replace(state, version=state.version + 1)
    match event:
        case ProgrammeChanged(terms=terms):
            return replace(state, terms=terms)
        case ProgrammeClosed():
            return replace(state, closed=True)
    return state


def replay(events: Iterable[IntegrationEvent]) -> Programme | None:
    """The programme a stream describes; another aggregate's stream is no programme."""
    history = list(events)
    if history and not isinstance(history[0], ProgrammeOpened):
        raise NotFound("no such voucher programme")
    return reduce(evolve, history, None)


def ensure_exists(state: Programme | None) -> Programme:
    if state is None:
        raise NotFound("no such voucher programme")
    return state


def ensure_selling(state: Programme | None) -> Programme:
    """A closed programme sells nothing more (its vouchers stay redeemable)."""
    programme = ensure_exists(state)
    if programme.closed:
        raise InvalidChange(f"the programme {programme.terms.name!r} is closed and sells no more vouchers")
    return programme


@dataclass(frozen=True)
class MerchantProgrammes:
    """What a merchant's new or renamed programme is checked against: the town's names, and
    how many programmes the merchant has open (from the read model, a moment behind: a burst
    of requests may pass the limit by the few in flight) of the ``most`` it may."""

    reserved: ReservedNames = field(default_factory=ReservedNames)
    open_now: int = 0
    most: int | None = None


def open_programme(
    state: Programme | None,
    *,
    programme_id: UUID,
    kind: ProgrammeKind,
    terms: ProgrammeTerms,
    merchant: MerchantStanding | None = None,
    limits: MerchantProgrammes | None = None,
) -> list[IntegrationEvent]:
    """A merchant programme names its merchant, who must be allowed to sell, within the
    town's ``limits`` (a name that is not the town's, a number of open programmes); a town
    programme is the association's and names none."""
    if state is not None:
        raise AlreadyExists("this programme was opened before")
    if kind == "merchant":
        if merchant is None:
            raise InvalidChange("a merchant programme needs the merchant whose vouchers it sells")
        ensure_may_sell(merchant)
        limits = limits or MerchantProgrammes()
        limits.reserved.ensure_free(terms.name)
        if limits.most is not None and limits.open_now >= limits.most:
            raise LimitReached(
                f"a merchant sells vouchers in at most {limits.most} programmes at once; "
                "close one before opening another"
            )
    elif merchant is not None:
        raise InvalidChange("a town programme belongs to the association; merchants join it instead")
    merchant_id = merchant.merchant_id if merchant is not None else None
    return [ProgrammeOpened(programme_id=programme_id, kind=kind, merchant_id=merchant_id, terms=terms)]


def change_terms(
    state: Programme | None,
    *,
    terms: ProgrammeTerms,
    by: MerchantStanding | None = None,
    reserved: ReservedNames | None = None,
) -> list[IntegrationEvent]:
    """New terms apply to future sales only; an unchanged text decides nothing. ``by``: the
    merchant changing its own programme, which it may only while it may sell; a merchant
    programme's new name is checked against the town's (``reserved``) whoever renames it."""
    programme = ensure_selling(state)
    if by is not None:
        if by.merchant_id != programme.merchant_id:
            raise NotAllowed("this is another merchant's programme")
        ensure_may_set_terms(by)
    if terms == programme.terms:
        return []
    if programme.kind == "merchant" and terms.name != programme.terms.name:
        (reserved or ReservedNames()).ensure_free(terms.name)
    return [ProgrammeChanged(programme_id=programme.programme_id, terms=terms)]


def close(state: Programme | None, *, reason: str = "") -> list[IntegrationEvent]:
    programme = ensure_exists(state)
    if programme.closed:
        return []
    return [ProgrammeClosed(programme_id=programme.programme_id, reason=reason)]


def check_amount(programme: Programme, amount_cents: int) -> None:
    """A voucher is sold for one of the denominations or for a free amount within the range."""
    terms = programme.terms
    if amount_cents in terms.denominations_cents:
        return
    free = terms.free_amount
    if free is not None and free.min_cents <= amount_cents <= free.max_cents:
        return
    offered = []
    if terms.denominations_cents:
        offered.append("one of " + ", ".join(format_money(cents, "en") for cents in sorted(terms.denominations_cents)))
    if free is not None:
        offered.append(f"any amount from {format_money(free.min_cents, 'en')} to {format_money(free.max_cents, 'en')}")
    raise InvalidChange(
        f"{terms.name!r} is not sold for {format_money(amount_cents, 'en')}; choose " + " or ".join(offered)
    )


def expiry_date(policy: ValidityPolicy, purchased_on: date) -> date:
    """The last day a voucher bought on ``purchased_on`` is redeemable. The default, three
    years to the end of the year of purchase, is the statutory limitation period (§§ 195,
    199 BGB); without ``to_end_of_year`` it is the same day N years on (29 Feb: 28 Feb)."""
    year = purchased_on.year + policy.years
    if policy.to_end_of_year:
        return date(year, 12, 31)
    day = min(purchased_on.day, calendar.monthrange(year, purchased_on.month)[1])
    return date(year, purchased_on.month, day)
