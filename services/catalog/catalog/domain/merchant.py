# SPDX-License-Identifier: AGPL-3.0-or-later
"""The merchant: a shop or service provider of the town, and what it may do.

State is a fold of the merchant's events (:func:`evolve`); each decision function checks
the rules against the state and returns the events to append, changing nothing itself.

A merchant signs in as a customer does, by a one-time link mailed to the profile's e-mail
address (the kit's rule, :mod:`downtown_events.sign_in_links`): the links are private events
on the merchant's own stream, so a link used twice at once meets the event store's
concurrency check and only one use is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import reduce
from uuid import UUID

from catalog.domain.errors import AlreadyExists, InvalidChange, NotAllowed, NotFound
from catalog.domain.payment_details import checked_profile
from catalog.domain.private_events import MerchantSignInLinkIssued, MerchantSignInLinkUsed
from downtown_events import sign_in_links
from downtown_events.catalog import (
    MerchantApprovalWithdrawn,
    MerchantApproved,
    MerchantAvailabilityNoted,
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
from downtown_events.sign_in_links import SignInLink, SignInRefused


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
    availability_note: str = ""
    """The last note to customers, for :attr:`availability_day` only ("": none or cleared)."""
    availability_day: date | None = None
    # Read-only by convention, like the other fields: a fold copies it.
    links: Mapping[UUID, SignInLink] = field(default_factory=dict, repr=False)
    """Its sign-in links, in the order they were issued."""
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
        case MerchantAvailabilityNoted(note=note, for_day=day):
            return replace(state, availability_note=note, availability_day=day)
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
        case MerchantSignInLinkIssued():
            link = SignInLink(event.link_id, event.token_hash, event.issued_at, event.expires_at)
            return replace(state, links=sign_in_links.issued(state.links, link))
        case MerchantSignInLinkUsed():
            return replace(state, links=sign_in_links.used(state.links, event.link_id, event.used_at))
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


def note_for(merchant: Merchant, day: date) -> str:
    """The merchant's note to customers on ``day`` ("": none); a note is for its day only."""
    return merchant.availability_note if merchant.availability_day == day else ""


def note_availability(state: Merchant | None, note: str, day: date) -> list[IntegrationEvent]:
    """Today's note for customers (``day``: the town's date now); an empty one clears it.
    Saying again what the day's note already says, or clearing a day without one, decides
    nothing, so a form sent twice is noted once."""
    merchant = ensure_not_suspended(state)
    if note == note_for(merchant, day):
        return []
    return [MerchantAvailabilityNoted(merchant_id=merchant.merchant_id, note=note, for_day=day)]


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


def request_sign_in_link(
    state: Merchant | None, *, link_id: UUID, token_hash: str, expires_at: datetime, now: datetime
) -> list[IntegrationEvent]:
    """A sign-in link for the merchant, to be mailed to its profile's address. A suspended
    merchant gets none (it would get no token either); the same request again decides nothing."""
    merchant = ensure_not_suspended(state)
    if not sign_in_links.check_new_link(
        merchant.links, link_id=link_id, token_hash=token_hash, expires_at=expires_at, now=now
    ):
        return []
    issued = MerchantSignInLinkIssued(
        merchant_id=merchant.merchant_id,
        link_id=link_id,
        token_hash=token_hash,
        issued_at=now,
        expires_at=expires_at,
    )
    return [issued]


def sign_in(state: Merchant | None, *, token_hash: str, now: datetime) -> list[IntegrationEvent]:
    """The link whose token hashes to ``token_hash`` signs the merchant in, once; the caller
    then hands out a merchant token. A merchant that is not, or is suspended, gets none."""
    if state is None:
        raise SignInRefused("this sign-in link is not valid; request a new one")
    link = sign_in_links.link_to_use(state.links, token_hash=token_hash, now=now)
    merchant = ensure_not_suspended(state)
    return [MerchantSignInLinkUsed(merchant_id=merchant.merchant_id, link_id=link.link_id, used_at=now)]


def accepts_token_issued_at(merchant: Merchant, issued_at: datetime) -> bool:
    return merchant.tokens_valid_after is None or issued_at >= merchant.tokens_valid_after


def ensure_not_suspended(state: Merchant | None) -> Merchant:
    """A suspended merchant changes nothing of its own (profile, hours, closure, notes, offers) until
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
