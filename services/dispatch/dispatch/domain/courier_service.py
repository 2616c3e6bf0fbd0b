# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier service of the town, decided on its stream: registered by the association, its
couriers added and removed, their shifts scheduled, a courier dropping out mid-shift.

One stream per courier service (``courier_service_id``) holds its couriers and shifts, so
that two shifts of one courier booked at once meet the store's concurrency check and the
second is judged against the first (no overlapping shifts). A step already taken decides
nothing (a removed courier removed again, a drop-out told twice): a retried request after a
lost answer must not fail.

A courier signs in as a merchant or a customer does, by a one-time link mailed to the
address the association gave (the kit's rule, :mod:`downtown_events.sign_in_links`). The
address and the links are private events on the service's stream: integrators see a courier
added, not their mailbox; and a link used twice at once meets the store's concurrency check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import reduce
from types import MappingProxyType
from uuid import UUID

from dispatch.domain.errors import AlreadyExists, InvalidChange, NotFound, checked
from dispatch.domain.private_events import CourierEmailRecorded, CourierSignInLinkIssued, CourierSignInLinkUsed
from downtown_events import sign_in_links
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    CourierAdded,
    CourierDroppedOut,
    CourierRemoved,
    CourierServiceRegistered,
    CourierShiftScheduled,
    CourierTokensRevoked,
    VehicleKind,
)
from downtown_events.geo import GeoPoint
from downtown_events.sign_in_links import SignInLink, SignInRefused

CLOCK_SKEW = timedelta(minutes=5)
"""How far a courier's phone may be ahead of the service's clock."""
LONGEST_SHIFT = timedelta(hours=14)
"""No one rides longer in a day; a longer shift is a typing error (a date a day off)."""


@dataclass(frozen=True)
class CourierOfService:
    courier_id: UUID
    display_name: str
    vehicle: VehicleKind
    capacity: int
    removed: bool = False
    email: str = field(default="", repr=False)
    """Where their sign-in links go; empty: none can be mailed (a token handed over still works)."""
    # Read-only by convention, like the other fields: a fold copies it.
    links: Mapping[UUID, SignInLink] = field(default_factory=dict, repr=False)
    """Their sign-in links, in the order they were issued."""


@dataclass(frozen=True)
class Shift:
    shift_id: UUID
    courier_id: UUID
    starts_at: datetime
    ends_at: datetime
    start: GeoPoint
    dropped_out_at: datetime | None = None

    def runs_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at

    def overlaps(self, starts_at: datetime, ends_at: datetime) -> bool:
        return self.starts_at < ends_at and starts_at < self.ends_at


@dataclass(frozen=True)
class CourierService:
    courier_service_id: UUID
    name: str
    phone: str
    couriers: MappingProxyType[UUID, CourierOfService] = field(default_factory=lambda: MappingProxyType({}))
    shifts: tuple[Shift, ...] = ()

    def active_courier(self, courier_id: UUID) -> CourierOfService:
        """The courier, if they ride for this service still; NotFound for one it never had."""
        courier = self.couriers.get(courier_id)
        if courier is None:
            raise NotFound("this courier service has no courier of that id")
        if courier.removed:
            raise InvalidChange("this courier was removed from the courier service")
        return courier


# --- replay --------------------------------------------------------------------------------


def evolve(state: CourierService | None, event: IntegrationEvent) -> CourierService | None:
    if isinstance(event, CourierServiceRegistered):
        return CourierService(event.courier_service_id, event.name, event.phone)
    if state is None:
        return None  # nothing is known of a service before its registration
    if isinstance(event, CourierAdded):
        courier = CourierOfService(event.courier_id, event.display_name, event.vehicle, event.capacity)
        return replace(state, couriers=MappingProxyType({**state.couriers, event.courier_id: courier}))
    if isinstance(event, CourierRemoved) and event.courier_id in state.couriers:
        removed = replace(state.couriers[event.courier_id], removed=True)
        return replace(state, couriers=MappingProxyType({**state.couriers, event.courier_id: removed}))
    if isinstance(event, CourierEmailRecorded | CourierSignInLinkIssued | CourierSignInLinkUsed):
        return _signing_in(state, event)
    if isinstance(event, CourierShiftScheduled):
        shift = Shift(event.shift_id, event.courier_id, event.starts_at, event.ends_at, event.start)
        return replace(state, shifts=(*state.shifts, shift))
    if isinstance(event, CourierDroppedOut):
        return replace(state, shifts=tuple(_dropped(shift, event) for shift in state.shifts))
    return state


def _signing_in(
    state: CourierService, event: CourierEmailRecorded | CourierSignInLinkIssued | CourierSignInLinkUsed
) -> CourierService:
    courier = state.couriers.get(event.courier_id)
    if courier is None:
        return state
    match event:
        case CourierEmailRecorded(email=email):
            courier = replace(courier, email=email)
        case CourierSignInLinkIssued():
            link = SignInLink(event.link_id, event.token_hash, event.issued_at, event.expires_at)
            courier = replace(courier, links=sign_in_links.issued(courier.links, link))
        case CourierSignInLinkUsed():
            courier = replace(courier, links=sign_in_links.used(courier.links, event.link_id, event.used_at))
    return replace(state, couriers=MappingProxyType({**state.couriers, event.courier_id: courier}))


def _dropped(shift: Shift, event: CourierDroppedOut) -> Shift:
    if shift.courier_id == event.courier_id and shift.runs_at(event.at) and shift.dropped_out_at is None:
        return replace(shift, dropped_out_at=event.at)
    return shift


def replay(events: Iterable[IntegrationEvent]) -> CourierService | None:
    return reduce(evolve, events, None)


# --- decisions -----------------------------------------------------------------------------


def _existing(state: CourierService | None) -> CourierService:
    if state is None:
        raise NotFound("no courier service of that id is registered")
    return state


def register(
    state: CourierService | None, *, courier_service_id: UUID, name: str, phone: str
) -> Sequence[IntegrationEvent]:
    if state is not None:
        raise AlreadyExists("this courier service is registered already")
    return [checked(CourierServiceRegistered, courier_service_id=courier_service_id, name=name, phone=phone)]


def add_courier(
    state: CourierService | None,
    *,
    courier_id: UUID,
    display_name: str,
    vehicle: str,
    capacity: int,
    email: str | None = None,
) -> Sequence[IntegrationEvent]:
    """A courier of the service; with ``email``, the address their sign-in links go to (kept
    private, beside the public ``CourierAdded``)."""
    service = _existing(state)
    if courier_id in service.couriers:
        raise AlreadyExists("this courier was added already")
    added = checked(
        CourierAdded,
        courier_service_id=service.courier_service_id,
        courier_id=courier_id,
        display_name=display_name,
        vehicle=vehicle,
        capacity=capacity,
    )
    if not email:
        return [added]
    recorded = checked(
        CourierEmailRecorded, courier_service_id=service.courier_service_id, courier_id=courier_id, email=email
    )
    return [added, recorded]


def remove_courier(state: CourierService | None, *, courier_id: UUID) -> Sequence[IntegrationEvent]:
    service = _existing(state)
    courier = service.couriers.get(courier_id)
    if courier is None:
        raise NotFound("this courier service has no courier of that id")
    if courier.removed:
        return []
    return [CourierRemoved(courier_service_id=service.courier_service_id, courier_id=courier_id)]


def revoke_tokens(state: CourierService | None, *, courier_id: UUID, at: datetime) -> Sequence[IntegrationEvent]:
    """The courier signs out: every courier token of theirs issued until ``at`` is void
    (the roster, which every request of a courier is checked against, hears of it)."""
    service = _existing(state)
    courier = service.active_courier(courier_id)
    return [
        CourierTokensRevoked(
            courier_service_id=service.courier_service_id, courier_id=courier.courier_id, revoked_at=at
        )
    ]


def request_sign_in_link(
    state: CourierService | None,
    *,
    courier_id: UUID,
    link_id: UUID,
    token_hash: str,
    expires_at: datetime,
    now: datetime,
) -> Sequence[IntegrationEvent]:
    """A sign-in link for an active courier with an address, to be mailed there; the same
    request again decides nothing. A removed courier gets none (they would get no token)."""
    service = _existing(state)
    courier = service.active_courier(courier_id)
    if not courier.email:
        raise InvalidChange("this courier has no e-mail address to send a sign-in link to")
    if not sign_in_links.check_new_link(
        courier.links, link_id=link_id, token_hash=token_hash, expires_at=expires_at, now=now
    ):
        return []
    return [
        CourierSignInLinkIssued(
            courier_service_id=service.courier_service_id,
            courier_id=courier_id,
            link_id=link_id,
            token_hash=token_hash,
            issued_at=now,
            expires_at=expires_at,
        )
    ]


def sign_in(
    state: CourierService | None, *, courier_id: UUID, token_hash: str, now: datetime
) -> Sequence[IntegrationEvent]:
    """The courier's link whose token hashes to ``token_hash`` signs them in, once; the caller
    then hands out a courier token. A courier unknown here, or removed, gets none."""
    courier = None if state is None else state.couriers.get(courier_id)
    if state is None or courier is None:
        raise SignInRefused("this sign-in link is not valid; request a new one")
    link = sign_in_links.link_to_use(courier.links, token_hash=token_hash, now=now)
    if courier.removed:
        raise SignInRefused("this courier no longer rides for the town; ask the association")
    return [
        CourierSignInLinkUsed(
            courier_service_id=state.courier_service_id, courier_id=courier_id, link_id=link.link_id, used_at=now
        )
    ]


def schedule_shift(
    state: CourierService | None,
    *,
    shift_id: UUID,
    courier_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    start: GeoPoint,
) -> Sequence[IntegrationEvent]:
    """A shift of an active courier, an aware start before its end, at most
    :data:`LONGEST_SHIFT` long, overlapping none of the courier's other shifts."""
    service = _existing(state)
    service.active_courier(courier_id)
    if any(shift.shift_id == shift_id for shift in service.shifts):
        raise AlreadyExists("this shift was scheduled already")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidChange("a shift's start and end name their time zone (e.g. 2026-03-02T08:00:00+01:00)")
    if ends_at <= starts_at:
        raise InvalidChange("a shift ends after it starts")
    if ends_at - starts_at > LONGEST_SHIFT:
        raise InvalidChange(f"a shift lasts at most {LONGEST_SHIFT.seconds // 3600} hours")
    clash = next((s for s in service.shifts if s.courier_id == courier_id and s.overlaps(starts_at, ends_at)), None)
    if clash is not None:
        raise InvalidChange(
            f"the courier has a shift from {clash.starts_at.isoformat()} to {clash.ends_at.isoformat()} already"
        )
    return [
        CourierShiftScheduled(
            courier_service_id=service.courier_service_id,
            courier_id=courier_id,
            shift_id=shift_id,
            starts_at=starts_at,
            ends_at=ends_at,
            start=start,
        )
    ]


def drop_out(
    state: CourierService | None, *, courier_id: UUID, at: datetime, position: GeoPoint | None, now: datetime
) -> Sequence[IntegrationEvent]:
    """The courier stops during the shift running at ``at``, which has come (a drop-out is
    told when it happens, not booked ahead: that is a shorter shift); told again, nothing new."""
    service = _existing(state)
    service.active_courier(courier_id)
    if at.tzinfo is None:
        raise InvalidChange("a drop-out's moment names its time zone")
    if at > now + CLOCK_SKEW:
        raise InvalidChange("a drop-out is told when it happens, not ahead of time")
    shift = next((s for s in service.shifts if s.courier_id == courier_id and s.runs_at(at)), None)
    if shift is None:
        raise InvalidChange("the courier has no shift running at that moment")
    if shift.dropped_out_at is not None:
        return []
    return [
        CourierDroppedOut(
            courier_service_id=service.courier_service_id, courier_id=courier_id, at=at, position=position
        )
    ]
