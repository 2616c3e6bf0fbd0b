# SPDX-License-Identifier: Apache-2.0
"""Events of the dispatch service: the town's couriers, its delivery terms, jobs and tours.

Published on ``<town>.dispatch.events``, keyed by the aggregate id: ``courier_service_id``
(a courier service and its couriers and shifts), ``terms_id`` (the town's delivery terms: one
stream per town), ``job_id`` (one delivery of one checkout, from one or several shops) or
``tour_id`` (a courier's tour of a day). Money is integer cents (EUR).

The terms are published whole (:class:`DeliveryTermsSet`): zones, fee rules, slots and rounds,
and how often a failed delivery is tried again. Ordering keeps its own replica of the latest
terms and validates addresses and prices delivery from it, without asking dispatch.

A job arises from ordering's ``OrderDeliveryRequested``: the orders of one checkout that go by
courier become one job (several pickups, one drop-off, one fee). What a courier needs at the
door (the recipient's name, phone, address and the pin on the map) arrives sealed in that
event and stays in dispatch's private events: integrators see where a job stands, never who
receives it. A tour says itself in :class:`TourPlanned`: its stops in order, each with its
expected arrival and the load the courier carries after it.
"""

from __future__ import annotations

from datetime import date, time
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from downtown_events.contract import IntegrationEvent, ValueObject, registry
from downtown_events.geo import GeoPoint
from downtown_events.text import EventLine

Cents = int
VehicleKind = Literal["bike", "cargo_bike", "car"]
SlotKind = Literal["standard", "town_round"]
"""``town_round``: a town delivery round ("with Thursday's town tour"), usually cheaper."""
FeePricing = Literal["free", "flat", "distance"]
FeePayer = Literal["customer", "town"]
"""``town``: the town pays the courier service (Dülmen delivered free for every merchant)."""
StopKind = Literal["pickup", "drop_off"]
FailureReason = Literal["not_at_home", "wrong_address", "refused", "unreachable", "damaged", "other"]
AfterFailure = Literal["retry", "return"]
"""What follows a failed attempt, by the town's terms: another attempt, or the goods go back."""


class DispatchEvent(IntegrationEvent):
    service: ClassVar[str] = "dispatch"


# --- courier services ----------------------------------------------------------------------


@registry.register
class CourierServiceRegistered(DispatchEvent):
    """A courier service delivers in the town (a bike courier collective, a taxi firm)."""

    event_name: ClassVar[str] = "CourierServiceRegistered"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    name: EventLine = Field(min_length=1, max_length=120)
    phone: EventLine = Field(default="", max_length=40)


@registry.register
class CourierAdded(DispatchEvent):
    """A courier of a courier service; ``capacity`` counts parcels (an order is one or more)."""

    event_name: ClassVar[str] = "CourierAdded"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    courier_id: UUID
    display_name: EventLine = Field(min_length=1, max_length=60, description="what recipients see, e.g. a first name")
    vehicle: VehicleKind
    capacity: int = Field(ge=1, le=200)


@registry.register
class CourierRemoved(DispatchEvent):
    event_name: ClassVar[str] = "CourierRemoved"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    courier_id: UUID


@registry.register
class CourierTokensRevoked(DispatchEvent):
    """Every courier token of the courier issued until ``revoked_at`` is void: the courier
    signed out (as a merchant's ``MerchantTokensRevoked``, it ends all of them, not one)."""

    event_name: ClassVar[str] = "CourierTokensRevoked"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    courier_id: UUID
    revoked_at: AwareDatetime


@registry.register
class CourierShiftScheduled(DispatchEvent):
    """A courier works from ``starts_at`` to ``ends_at``, starting at ``start`` (the depot)."""

    event_name: ClassVar[str] = "CourierShiftScheduled"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    courier_id: UUID
    shift_id: UUID
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    start: GeoPoint

    @model_validator(mode="after")
    def _ordered(self) -> CourierShiftScheduled:
        if self.ends_at <= self.starts_at:
            raise ValueError("a shift ends after it starts")
        return self


@registry.register
class CourierDroppedOut(DispatchEvent):
    """A courier stops mid-shift (a flat tyre, illness): the tours are planned again without
    them, the stops they have done staying done."""

    event_name: ClassVar[str] = "CourierDroppedOut"
    schema_version: ClassVar[int] = 1
    courier_service_id: UUID
    courier_id: UUID
    at: AwareDatetime
    position: GeoPoint | None = None


# --- the town's delivery terms -------------------------------------------------------------


class FeeRuleTerms(ValueObject):
    """What a delivery costs and who pays it. ``distance``: ``base_cents`` plus ``per_km_cents``
    per kilometre from the farthest shop, at most ``cap_cents``. Above ``free_above_cents`` of
    goods the customer pays nothing (the town may still owe the courier)."""

    pricing: FeePricing
    cents: Cents = Field(default=0, ge=0, le=100_000, description="flat: the fee")
    base_cents: Cents = Field(default=0, ge=0, le=100_000)
    per_km_cents: Cents = Field(default=0, ge=0, le=100_000)
    cap_cents: Cents | None = Field(default=None, ge=0, le=100_000)
    paid_by: FeePayer = "customer"
    free_above_cents: Cents | None = Field(default=None, ge=0)


class DeliveryZoneTerms(ValueObject):
    """Where the town's couriers deliver: inside a polygon (at least three corners), or to a
    list of postal codes, or both (either suffices)."""

    zone_id: UUID
    name: EventLine = Field(min_length=1, max_length=80)
    polygon: list[GeoPoint] = Field(default_factory=list, max_length=500)
    postal_codes: list[EventLine] = Field(default_factory=list, max_length=500)

    @model_validator(mode="after")
    def _somewhere(self) -> DeliveryZoneTerms:
        if 0 < len(self.polygon) < 3:
            raise ValueError("a polygon has at least three corners")
        if not self.polygon and not self.postal_codes:
            raise ValueError("a zone is a polygon or a list of postal codes")
        return self


class SlotTerms(ValueObject):
    """A weekly delivery slot in the town's wall-clock time (``weekday`` 0 is Monday) and how
    many deliveries it takes; a town round may have its own fee rule."""

    weekday: int = Field(ge=0, le=6)
    starts: time
    ends: time
    capacity: int = Field(ge=1, le=10_000)
    kind: SlotKind = "standard"
    label: EventLine = Field(default="", max_length=80)
    fee: FeeRuleTerms | None = None

    @model_validator(mode="after")
    def _ordered(self) -> SlotTerms:
        if self.ends <= self.starts:
            raise ValueError("a slot ends after it starts")
        return self


@registry.register
class DeliveryTermsSet(DispatchEvent):
    """The town's delivery terms, whole: each set replaces the previous one."""

    event_name: ClassVar[str] = "DeliveryTermsSet"
    schema_version: ClassVar[int] = 1
    terms_id: UUID
    courier_service_id: UUID
    zones: list[DeliveryZoneTerms] = Field(min_length=1, max_length=20)
    fee: FeeRuleTerms
    slots: list[SlotTerms] = Field(min_length=1, max_length=200)
    lead_minutes: int = Field(
        default=60, ge=0, le=7 * 24 * 60, description="a slot is bookable until this long before it starts"
    )
    attempts: int = Field(
        default=2, ge=1, le=5, description="attempts at the door before the goods go back to the shop"
    )


# --- delivery jobs -------------------------------------------------------------------------


class ArrivalWindow(ValueObject):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


@registry.register
class DeliveryJobOpened(DispatchEvent):
    """The first order of a checkout to go by courier opened its job; ``expected_orders`` is
    how many of the checkout's orders go by courier (the job waits for them, or for their
    end, before it is planned)."""

    event_name: ClassVar[str] = "DeliveryJobOpened"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    checkout_id: UUID
    zone_id: UUID
    slot: ArrivalWindow
    slot_kind: SlotKind = "standard"
    expected_orders: int = Field(ge=1, le=50)


@registry.register
class DeliveryJobPickupAdded(DispatchEvent):
    """An order of the checkout is to be picked up at its shop."""

    event_name: ClassVar[str] = "DeliveryJobPickupAdded"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    order_id: UUID
    merchant_id: UUID
    shop: GeoPoint
    parcels: int = Field(default=1, ge=1, le=50)
    fee_cents: Cents = Field(default=0, ge=0, description="the delivery fee the customer paid with this order")


@registry.register
class DeliveryJobPickupWithdrawn(DispatchEvent):
    """An order of the job ended before it was picked up (cancelled, rejected)."""

    event_name: ClassVar[str] = "DeliveryJobPickupWithdrawn"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    order_id: UUID


@registry.register
class DeliveryJobRefused(DispatchEvent):
    """Dispatch cannot deliver an order it was asked to (outside every zone, no slot, terms
    unknown): ordering ends the order, and the others give back what they held."""

    event_name: ClassVar[str] = "DeliveryJobRefused"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    order_id: UUID
    merchant_id: UUID
    reason: Literal["outside_zone", "no_slot", "no_terms", "unreadable_address"]
    detail: EventLine = Field(default="", max_length=300)


@registry.register
class DeliveryJobPlanned(DispatchEvent):
    """The job is on a courier's tour: collected from the shops by ``pickup_by``, at the
    customer's door within ``arrives``. Planned again, it gets a new one."""

    event_name: ClassVar[str] = "DeliveryJobPlanned"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    courier_id: UUID
    tour_id: UUID
    pickup_by: AwareDatetime
    arrives: ArrivalWindow


@registry.register
class DeliveryJobUnplanned(DispatchEvent):
    """No courier can take the job as things stand (no shift left, over capacity): it waits
    on the dispatcher's board with the reason."""

    event_name: ClassVar[str] = "DeliveryJobUnplanned"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    reason: EventLine = Field(min_length=1, max_length=300)


@registry.register
class DeliveryOrderPickedUp(DispatchEvent):
    """The courier scanned the order's code at the shop and took the goods."""

    event_name: ClassVar[str] = "DeliveryOrderPickedUp"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    order_id: UUID
    merchant_id: UUID
    courier_id: UUID
    at: AwareDatetime


@registry.register
class DeliveryJobDelivered(DispatchEvent):
    """Handed to the recipient (whose name, and the proof photo, dispatch keeps privately)."""

    event_name: ClassVar[str] = "DeliveryJobDelivered"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    order_ids: list[UUID] = Field(min_length=1, max_length=50)
    courier_id: UUID
    at: AwareDatetime
    photo_proof: bool = False
    fee_cents: Cents = Field(default=0, ge=0, description="what the customer paid for the delivery")
    town_cents: Cents = Field(default=0, ge=0, description="what the town owes the courier service for it")


@registry.register
class DeliveryAttemptFailed(DispatchEvent):
    """Nobody took the goods; ``then`` says what follows by the town's terms."""

    event_name: ClassVar[str] = "DeliveryAttemptFailed"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    order_ids: list[UUID] = Field(min_length=1, max_length=50)
    courier_id: UUID
    attempt: int = Field(ge=1, le=5)
    reason: FailureReason
    at: AwareDatetime
    then: AfterFailure


@registry.register
class DeliveryJobReturned(DispatchEvent):
    """The goods went back to their shops: the orders end undelivered, and what they held
    (stock, a voucher part) is given back."""

    event_name: ClassVar[str] = "DeliveryJobReturned"
    schema_version: ClassVar[int] = 1
    job_id: UUID
    order_ids: list[UUID] = Field(min_length=1, max_length=50)
    at: AwareDatetime


# --- tours ---------------------------------------------------------------------------------


class TourStop(ValueObject):
    kind: StopKind
    job_id: UUID
    merchant_id: UUID | None = Field(default=None, description="the shop of a pickup")
    arrives_at: AwareDatetime
    load_after: int = Field(ge=0, description="parcels the courier carries after the stop")


@registry.register
class TourPlanned(DispatchEvent):
    """A courier's tour of a day, as last planned: the stops still to do, in order. Stops
    done are not repeated; an empty list is a tour with nothing left."""

    event_name: ClassVar[str] = "TourPlanned"
    schema_version: ClassVar[int] = 1
    tour_id: UUID
    courier_id: UUID
    day: date
    stops: list[TourStop] = Field(max_length=1_000)
    distance_m: int = Field(ge=0, description="the planned ride's length, along the estimated streets")
