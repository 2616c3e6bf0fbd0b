# SPDX-License-Identifier: AGPL-3.0-or-later
"""A delivery job's life, decided on its stream: opened by the first order of a checkout that
goes by courier, completed by the others, planned onto a tour, picked up shop by shop,
delivered at one door, or tried again and finally brought back.

One stream per checkout (the job id derives from the checkout id, :func:`job_id_of`), so a
redelivered request, or two orders of one checkout arriving at once, meet the store's
concurrency check and make one job. A refused order's :class:`DeliveryJobRefused` goes on the
same stream, before the job is opened or after: the job then counts it among the checkout's
orders as withdrawn (it waits for no order that will never come), and a redelivered request
of a refused order decides nothing. The refusal is no part of the job's state
(:func:`replay` passes it by; :func:`refused_orders` reads it). The stream is the only judge of what a courier may do:
a courier who is not the job's gets :class:`NotFound` (nothing to learn about others' jobs),
a step already taken decides nothing (a retried request after a lost answer) or is refused
when it contradicts what happened (delivered after the goods went back).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import reduce
from types import MappingProxyType
from typing import Literal
from uuid import UUID, uuid5

from dispatch.domain.errors import AlreadyExists, InvalidChange, NotFound
from dispatch.domain.private_events import (
    DeliveryDropOffRecorded,
    DeliveryJobPinned,
    DeliveryOrderFiled,
    DeliveryProofRecorded,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    ArrivalWindow,
    DeliveryAttemptFailed,
    DeliveryJobDelivered,
    DeliveryJobOpened,
    DeliveryJobPickupAdded,
    DeliveryJobPickupWithdrawn,
    DeliveryJobPlanned,
    DeliveryJobRefused,
    DeliveryJobReturned,
    DeliveryJobUnplanned,
    DeliveryOrderPickedUp,
    FailureReason,
    SlotKind,
)
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff

JOB_NAMESPACE = UUID("0d6f3c1e-5b7a-4f43-9a57-6f1c2b8e4d10")

Status = Literal["waiting", "ready", "planned", "picking_up", "delivered", "to_return", "returned", "withdrawn"]
"""``waiting``: orders of the checkout still to come; ``ready``: to be planned; ``picking_up``:
some goods are with the courier; ``to_return``: the last attempt failed, the goods go back;
``withdrawn``: every order ended before pickup."""


def job_id_of(checkout_id: UUID) -> UUID:
    """The job of a checkout: the same checkout always gives the same job."""
    return uuid5(JOB_NAMESPACE, str(checkout_id))


def order_stream_of(order_id: UUID) -> str:
    """Dispatch's stream of an order (never the order's id: that stream is ordering's), which
    files the order under its job (:class:`DeliveryOrderFiled`)."""
    return str(uuid5(JOB_NAMESPACE, f"order:{order_id}"))


def filed_job(events: Iterable[IntegrationEvent]) -> UUID | None:
    """The job an order was filed under (None: dispatch was never asked to deliver it)."""
    return next((event.job_id for event in events if isinstance(event, DeliveryOrderFiled)), None)


def file_order(filed: UUID | None, *, order_id: UUID, job_id: UUID) -> list[IntegrationEvent]:
    return [] if filed is not None else [DeliveryOrderFiled(order_id=order_id, job_id=job_id)]


@dataclass(frozen=True)
class PickupAt:
    """One order to fetch at its shop."""

    order_id: UUID
    merchant_id: UUID
    shop: GeoPoint
    parcels: int
    fee_cents: int
    picked_up: bool = False
    picked_up_at: datetime | None = None


@dataclass(frozen=True)
class Delivery:
    job_id: UUID
    checkout_id: UUID
    zone_id: UUID
    slot: ArrivalWindow
    slot_kind: SlotKind
    expected_orders: int
    pickups: MappingProxyType[UUID, PickupAt] = field(default_factory=lambda: MappingProxyType({}))
    withdrawn: frozenset[UUID] = frozenset()
    drop_off: DeliveryDropOff | None = None
    courier_id: UUID | None = None
    tour_id: UUID | None = None
    arrives: ArrivalWindow | None = None
    pinned_to: UUID | None = None
    attempts: int = 0
    status: Status = "waiting"
    unplanned_reason: str | None = None
    """Why the planner last left the job out (None: planned since, or never planned)."""
    failed_by: UUID | None = None
    """The courier whose failed attempt is the job's last step at a door (None: picked up
    since, or never failed): their report told again after a lost answer decides nothing."""

    @property
    def open_pickups(self) -> tuple[PickupAt, ...]:
        return tuple(p for p in self.pickups.values() if p.order_id not in self.withdrawn)

    @property
    def order_ids(self) -> list[UUID]:
        return [p.order_id for p in self.open_pickups]

    @property
    def parcels(self) -> int:
        return sum(p.parcels for p in self.open_pickups)

    @property
    def fee_cents(self) -> int:
        return sum(p.fee_cents for p in self.open_pickups)

    @property
    def finished(self) -> bool:
        return self.status in ("delivered", "returned", "withdrawn")

    @property
    def begun(self) -> bool:
        """Some goods ride with the courier: the job stays with them whatever a replan says."""
        return any(p.picked_up for p in self.open_pickups)


# --- replay --------------------------------------------------------------------------------


def evolve(state: Delivery | None, event: IntegrationEvent) -> Delivery:
    if isinstance(event, DeliveryJobOpened):
        return Delivery(
            event.job_id, event.checkout_id, event.zone_id, event.slot, event.slot_kind, event.expected_orders
        )
    if state is None:
        raise ValueError(f"{type(event).__name__} before DeliveryJobOpened")
    match event:
        case DeliveryJobPickupAdded():
            pickup = PickupAt(event.order_id, event.merchant_id, event.shop, event.parcels, event.fee_cents)
            return _settled(replace(state, pickups=MappingProxyType({**state.pickups, event.order_id: pickup})))
        case DeliveryJobPickupWithdrawn():
            return _settled(replace(state, withdrawn=state.withdrawn | {event.order_id}))
        case DeliveryDropOffRecorded():
            return replace(state, drop_off=event.drop_off)
        case DeliveryJobPinned():
            return replace(state, pinned_to=event.courier_id)
        case DeliveryJobPlanned():
            status: Status = "picking_up" if state.begun else "planned"
            return replace(
                state,
                courier_id=event.courier_id,
                tour_id=event.tour_id,
                arrives=event.arrives,
                status=status,
                unplanned_reason=None,
            )
        case DeliveryJobUnplanned():
            return replace(
                state, courier_id=None, tour_id=None, arrives=None, status="ready", unplanned_reason=event.reason
            )
        case DeliveryOrderPickedUp():
            picked = replace(state.pickups[event.order_id], picked_up=True, picked_up_at=event.at)
            return replace(
                state,
                pickups=MappingProxyType({**state.pickups, event.order_id: picked}),
                status="picking_up",
                failed_by=None,
            )
        case DeliveryJobDelivered():
            return replace(state, status="delivered")
        case DeliveryAttemptFailed() if event.then == "retry":
            back = {order_id: replace(p, picked_up=False, picked_up_at=None) for order_id, p in state.pickups.items()}
            return replace(
                state,
                pickups=MappingProxyType(back),
                attempts=event.attempt,
                status="ready",
                courier_id=None,
                tour_id=None,
                arrives=None,
                failed_by=event.courier_id,
            )
        case DeliveryAttemptFailed():
            return replace(state, attempts=event.attempt, status="to_return", failed_by=event.courier_id)
        case DeliveryJobReturned():
            return replace(state, status="returned")
    return state


def _settled(state: Delivery) -> Delivery:
    """Waiting until every courier order of the checkout is here or ended; withdrawn when
    none is left to deliver."""
    if state.status not in ("waiting", "ready"):
        return state
    accounted = len(state.pickups.keys() | state.withdrawn)
    if accounted >= state.expected_orders and not state.open_pickups:
        return replace(state, status="withdrawn")
    return replace(state, status="ready" if accounted >= state.expected_orders else "waiting")


def replay(events: Iterable[IntegrationEvent]) -> Delivery | None:
    return reduce(evolve, (event for event in events if not isinstance(event, DeliveryJobRefused)), None)


def refused_orders(events: Iterable[IntegrationEvent]) -> frozenset[UUID]:
    """The orders of the checkout dispatch refused to deliver."""
    return frozenset(event.order_id for event in events if isinstance(event, DeliveryJobRefused))


@dataclass(frozen=True)
class JobStream:
    """What a job's stream says to the reaction on ordering's requests: the job (None: not
    opened) and the orders refused, before it was opened or since."""

    job: Delivery | None
    refused: frozenset[UUID]

    def knows(self, order_id: UUID) -> bool:
        """The order was decided on already (taken, withdrawn or refused)."""
        job = self.job
        return order_id in self.refused or (job is not None and (order_id in job.pickups or order_id in job.withdrawn))


def read_stream(events: Iterable[IntegrationEvent]) -> JobStream:
    events = tuple(events)
    return JobStream(replay(events), refused_orders(events))


# --- decisions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestedPickup:
    """An order ordering asked dispatch to deliver, with its shop's place and the drop-off
    already opened and checked by the application."""

    order_id: UUID
    checkout_id: UUID
    merchant_id: UUID
    shop: GeoPoint
    parcels: int
    fee_cents: int
    courier_orders: int
    drop_off: DeliveryDropOff


def add_pickup(
    stream: JobStream, request: RequestedPickup, *, zone_id: UUID, slot: ArrivalWindow, slot_kind: SlotKind
) -> list[IntegrationEvent]:
    """Opens the checkout's job with its first order and records the drop-off; adds the
    others. A request seen before (taken or refused) decides nothing; orders of the checkout
    refused before the job opened are withdrawn from it as it opens."""
    if stream.knows(request.order_id):
        return []
    state = stream.job
    events: list[IntegrationEvent] = []
    job_id = job_id_of(request.checkout_id)
    if state is None:
        events.append(
            DeliveryJobOpened(
                job_id=job_id,
                checkout_id=request.checkout_id,
                zone_id=zone_id,
                slot=slot,
                slot_kind=slot_kind,
                expected_orders=request.courier_orders,
            )
        )
    elif state.finished or state.begun:
        raise InvalidChange("this checkout's delivery is under way; the order is delivered on its own")
    events.append(
        DeliveryJobPickupAdded(
            job_id=job_id,
            order_id=request.order_id,
            merchant_id=request.merchant_id,
            shop=request.shop,
            parcels=request.parcels,
            fee_cents=request.fee_cents,
        )
    )
    if state is None:
        events.extend(
            DeliveryJobPickupWithdrawn(job_id=job_id, order_id=order_id) for order_id in sorted(stream.refused)
        )
    if state is None or state.drop_off is None:
        events.append(DeliveryDropOffRecorded(job_id=job_id, drop_off=request.drop_off))
    return events


RefusalReason = Literal["outside_zone", "no_slot", "no_terms", "unreadable_address"]


def refuse(
    stream: JobStream, *, job_id: UUID, order_id: UUID, merchant_id: UUID, reason: RefusalReason, detail: str = ""
) -> list[IntegrationEvent]:
    """Dispatch will not deliver the order: ordering ends it. An order already decided on
    decides nothing; an open job stops waiting for it."""
    if stream.knows(order_id):
        return []
    events: list[IntegrationEvent] = [
        DeliveryJobRefused(
            job_id=job_id, order_id=order_id, merchant_id=merchant_id, reason=reason, detail=detail[:300]
        )
    ]
    if stream.job is not None and not stream.job.finished:
        events.append(DeliveryJobPickupWithdrawn(job_id=job_id, order_id=order_id))
    return events


def withdraw(state: Delivery | None, order_id: UUID) -> list[IntegrationEvent]:
    """An order ended (cancelled, rejected) before its goods were fetched. Once fetched, the
    goods ride on and the job ends by delivery or return."""
    if state is None or order_id in state.withdrawn or state.finished:
        return []
    pickup = state.pickups.get(order_id)
    if pickup is not None and pickup.picked_up:
        return []
    return [DeliveryJobPickupWithdrawn(job_id=state.job_id, order_id=order_id)]


def pin(state: Delivery | None, courier_id: UUID | None) -> list[IntegrationEvent]:
    job = _existing(state)
    if job.finished:
        raise InvalidChange("the delivery has ended; there is nothing to pin")
    if job.begun and courier_id != job.courier_id:
        raise InvalidChange("the goods already ride with their courier; the job stays with them")
    if job.pinned_to == courier_id:
        return []
    return [DeliveryJobPinned(job_id=job.job_id, courier_id=courier_id)]


def plan(
    state: Delivery | None, *, courier_id: UUID, tour_id: UUID, pickup_by: datetime, arrives: ArrivalWindow
) -> list[IntegrationEvent]:
    """The planner put the job on a tour; the same placement again decides nothing. A job
    whose goods ride with a courier stays with them whatever the plan says (the planner
    reads the board, which may not show a pickup made a moment ago)."""
    job = _existing(state)
    if job.finished or job.status in ("waiting", "to_return"):
        return []
    if job.begun and courier_id != job.courier_id:
        return []
    if job.courier_id == courier_id and job.tour_id == tour_id and job.arrives == arrives:
        return []
    return [
        DeliveryJobPlanned(
            job_id=job.job_id, courier_id=courier_id, tour_id=tour_id, pickup_by=pickup_by, arrives=arrives
        )
    ]


def unplan(state: Delivery | None, reason: str) -> list[IntegrationEvent]:
    """The planner left the job out: taken off its tour, or (not planned yet) told why; the
    same reason again decides nothing."""
    job = _existing(state)
    reason = reason[:300]
    if job.begun or job.finished or job.status in ("waiting", "to_return"):
        return []
    if job.status == "ready" and job.unplanned_reason == reason:
        return []
    return [DeliveryJobUnplanned(job_id=job.job_id, reason=reason)]


def pick_up(state: Delivery | None, *, order_id: UUID, courier_id: UUID, at: datetime) -> list[IntegrationEvent]:
    """The courier scanned the order's code at its shop. Scanning again decides nothing."""
    job = _courier_job(state, courier_id)
    pickup = job.pickups.get(order_id)
    if pickup is None or order_id in job.withdrawn:
        raise NotFound("this order is not one of this delivery's")
    if pickup.picked_up:
        return []
    if job.status not in ("planned", "picking_up"):
        raise InvalidChange(f"the delivery is {job.status.replace('_', ' ')}; nothing is picked up now")
    return [
        DeliveryOrderPickedUp(
            job_id=job.job_id, order_id=order_id, merchant_id=pickup.merchant_id, courier_id=courier_id, at=at
        )
    ]


def deliver(
    state: Delivery | None,
    *,
    courier_id: UUID,
    at: datetime,
    recipient_name: str,
    photo_sha256: str | None,
    town_cents: int,
) -> list[IntegrationEvent]:
    """Handed over at the door: every open order's goods must be with the courier."""
    job = _courier_job(state, courier_id)
    if job.status == "delivered":
        raise AlreadyExists("this delivery was handed over already")
    if job.status in ("to_return", "returned"):
        raise InvalidChange("the last attempt at the door failed: the goods go back to their shops, not to the door")
    missing = [p for p in job.open_pickups if not p.picked_up]
    if job.status != "picking_up" or missing:
        raise InvalidChange(f"{len(missing) or 'no'} order(s) of this delivery still to pick up at their shops")
    return [
        DeliveryJobDelivered(
            job_id=job.job_id,
            order_ids=job.order_ids,
            courier_id=courier_id,
            at=at,
            photo_proof=photo_sha256 is not None,
            fee_cents=job.fee_cents,
            town_cents=town_cents,
        ),
        DeliveryProofRecorded(job_id=job.job_id, recipient_name=recipient_name, photo_sha256=photo_sha256, at=at),
    ]


def fail_attempt(
    state: Delivery | None, *, courier_id: UUID, reason: FailureReason, at: datetime, attempts_allowed: int
) -> list[IntegrationEvent]:
    """Nobody took the goods. The courier brings them back to their shops either way; then
    the job is planned again for another attempt (its pickups to do again), or (the town's
    last attempt, an address that is wrong, a refusal) the orders end with the return. The
    same courier's report again, before the goods were picked up anew, decides nothing (a
    phone that lost the answer sends it again; the job may be off their tour by then)."""
    if state is not None and state.failed_by == courier_id:
        return []
    job = _courier_job(state, courier_id)
    if job.status != "picking_up" or any(not p.picked_up for p in job.open_pickups):
        raise InvalidChange("a delivery fails at the door, with every order's goods on board")
    attempt = job.attempts + 1
    last = attempt >= attempts_allowed or reason in ("wrong_address", "refused")
    return [
        DeliveryAttemptFailed(
            job_id=job.job_id,
            order_ids=job.order_ids,
            courier_id=courier_id,
            attempt=attempt,
            reason=reason,
            at=at,
            then="return" if last else "retry",
        )
    ]


def return_to_shops(state: Delivery | None, *, at: datetime) -> list[IntegrationEvent]:
    """The goods of a delivery that will not happen are back at their shops."""
    job = _existing(state)
    if job.status == "returned":
        return []
    if job.status != "to_return":
        raise InvalidChange("only a delivery whose last attempt failed goes back to the shops")
    return [DeliveryJobReturned(job_id=job.job_id, order_ids=job.order_ids, at=at)]


def _existing(state: Delivery | None) -> Delivery:
    if state is None:
        raise NotFound("no such delivery")
    return state


def _courier_job(state: Delivery | None, courier_id: UUID) -> Delivery:
    """A courier sees only jobs on their own tour: another's is unknown to them."""
    job = _existing(state)
    if job.courier_id != courier_id:
        raise NotFound("no such delivery on your tour")
    return job
