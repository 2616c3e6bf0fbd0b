# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant: a shop or service provider of the town, and what it may do.

State is a fold of the merchant's events (:func:`evolve`); each decision function checks
the rules against the state and returns the events to append, changing nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import reduce
from uuid import UUID

from catalog.domain.errors import AlreadyExists, InvalidChange, NotAllowed, NotFound
from catalog.domain.payment_details import checked_profile
from downtown_events.catalog import (
    MerchantApprovalWithdrawn,
    MerchantApproved,
    MerchantClosed,
    MerchantProfile,
    MerchantProfileChanged,
    MerchantRegistered,
    MerchantReinstated,
    MerchantReopened,
    MerchantSuspended,
    MerchantTokensRevoked,
    OpeningHoursChanged,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent


@dataclass(frozen=True)
class Merchant:
    merchant_id: UUID
    profile: MerchantProfile
    opening_hours: tuple[TimeWindow, ...] = ()
    closed: bool = False
    suspended: bool = False
    approved: bool = False
    """Vouched for by the association: may act with money (vouchers, cash, invoices)."""
    tokens_valid_after: datetime | None = None
    version: int = 0


def evolve(state: Merchant | None, event: IntegrationEvent) -> Merchant:
    """The merchant after one more of its events."""
    if isinstance(event, MerchantRegistered):
        return Merchant(event.merchant_id, event.profile, tuple(event.opening_hours), version=1)
    if state is None:
        raise ValueError(f"{type(event).__name__} before MerchantRegistered")
    state = replace(state, version=state.version + 1)
    match event:
        case MerchantProfileChanged(profile=profile):
            return replace(state, profile=profile)
        case OpeningHoursChanged(opening_hours=hours):
            return replace(state, opening_hours=tuple(hours))
        case MerchantClosed():
            return replace(state, closed=True)
        case MerchantReopened():
            return replace(state, closed=False)
        case MerchantSuspended():
            return replace(state, suspended=True)
        case MerchantReinstated():
            return replace(state, suspended=False)
        case MerchantApproved():
            return replace(state, approved=True)
        case MerchantApprovalWithdrawn():
            return replace(state, approved=False)
        case MerchantTokensRevoked(revoked_at=revoked_at):
            return replace(state, tokens_valid_after=revoked_at)
    return state


def replay(events: Iterable[IntegrationEvent]) -> Merchant | None:
    """The merchant a stream's events describe; another aggregate's stream is no merchant
    (an offer id sent where a merchant id belongs)."""
    history = list(events)
    if history and not isinstance(history[0], MerchantRegistered):
        raise NotFound("no such merchant")
    return reduce(evolve, history, None)


def ensure_exists(state: Merchant | None) -> Merchant:
    if state is None:
        raise NotFound("no such merchant")
    return state


def register(
    state: Merchant | None, merchant_id: UUID, profile: MerchantProfile, opening_hours: Sequence[TimeWindow]
) -> list[IntegrationEvent]:
    if state is not None:
        raise AlreadyExists("this merchant is already registered")
    _check_hours(opening_hours)
    profile = _checked(profile)
    return [MerchantRegistered(merchant_id=merchant_id, profile=profile, opening_hours=list(opening_hours))]


def change_profile(state: Merchant | None, profile: MerchantProfile) -> list[IntegrationEvent]:
    merchant = ensure_not_suspended(state)
    profile = _checked(profile)
    if profile == merchant.profile:
        return []
    return [MerchantProfileChanged(merchant_id=merchant.merchant_id, profile=profile)]


def change_opening_hours(state: Merchant | None, hours: Sequence[TimeWindow]) -> list[IntegrationEvent]:
    merchant = ensure_not_suspended(state)
    _check_hours(hours)
    if tuple(hours) == merchant.opening_hours:
        return []
    return [OpeningHoursChanged(merchant_id=merchant.merchant_id, opening_hours=list(hours))]


def close(state: Merchant | None, note: str) -> list[IntegrationEvent]:
    merchant = ensure_not_suspended(state)
    if merchant.closed:
        return []
    return [MerchantClosed(merchant_id=merchant.merchant_id, note=note)]


def reopen(state: Merchant | None) -> list[IntegrationEvent]:
    merchant = ensure_not_suspended(state)
    return [MerchantReopened(merchant_id=merchant.merchant_id)] if merchant.closed else []


def suspend(state: Merchant | None, reason: str) -> list[IntegrationEvent]:
    """The association's decision; repeating it changes nothing."""
    merchant = ensure_exists(state)
    if merchant.suspended:
        return []
    return [MerchantSuspended(merchant_id=merchant.merchant_id, reason=reason)]


def reinstate(state: Merchant | None) -> list[IntegrationEvent]:
    merchant = ensure_exists(state)
    return [MerchantReinstated(merchant_id=merchant.merchant_id)] if merchant.suspended else []


def approve(state: Merchant | None) -> list[IntegrationEvent]:
    """The association vouches for the merchant; approving twice changes nothing."""
    merchant = ensure_exists(state)
    return [] if merchant.approved else [MerchantApproved(merchant_id=merchant.merchant_id)]


def withdraw_approval(state: Merchant | None, reason: str) -> list[IntegrationEvent]:
    """The association stops vouching for the merchant; withdrawing twice changes nothing."""
    merchant = ensure_exists(state)
    if not merchant.approved:
        return []
    return [MerchantApprovalWithdrawn(merchant_id=merchant.merchant_id, reason=reason)]


def revoke_tokens(state: Merchant | None, at: datetime) -> list[IntegrationEvent]:
    """Void every token issued before ``at`` (the association replaces a lost one)."""
    merchant = ensure_exists(state)
    return [MerchantTokensRevoked(merchant_id=merchant.merchant_id, revoked_at=at)]


def accepts_token_issued_at(merchant: Merchant, issued_at: datetime) -> bool:
    return merchant.tokens_valid_after is None or issued_at >= merchant.tokens_valid_after


def ensure_not_suspended(state: Merchant | None) -> Merchant:
    """A suspended merchant changes nothing of its own (profile, hours, closure, offers) until
    the association reinstates it."""
    merchant = ensure_exists(state)
    if merchant.suspended:
        raise NotAllowed("the town's association has suspended this merchant; contact them to be reinstated")
    return merchant


def _checked(profile: MerchantProfile) -> MerchantProfile:
    """The profile its event carries: the tax number's kind recorded, the IBAN checked."""
    try:
        return checked_profile(profile)
    except ValueError as error:
        raise InvalidChange(str(error)) from None


def _check_hours(hours: Sequence[TimeWindow]) -> None:
    by_day: dict[int, list[TimeWindow]] = {}
    for window in sorted(hours, key=lambda w: (w.weekday, w.opens)):
        previous = by_day.setdefault(window.weekday, [])
        if previous and previous[-1].closes > window.opens:
            raise InvalidChange(f"opening hours overlap on weekday {window.weekday}")
        previous.append(window)
