# SPDX-License-Identifier: AGPL-3.0-or-later
"""Delivery by the town's couriers on dispatch's published terms: the door's zone, the slot,
and the one fee of a checkout.

Once dispatch has published the town's terms (:class:`~downtown_events.dispatch.DeliveryTermsSet`,
kept by ordering's replica), a checkout's delivery orders go together: one trip from every
shop to one door, in one slot, for one fee. The door must lie in a zone of the terms (by its
pin on the map or its postal code); the slot is the one the customer named, if the terms
offer it and it starts at least the terms' lead time from now (time for the shops to pack),
else the next one that does; the fee is the slot's rule (a town round's cheaper one) or the
town's, on the goods of the delivery orders, from the farthest shop. One order of the
checkout carries it (the first), the others deliver for nothing more.

Pure, on :mod:`downtown_events.delivery`, the arithmetic dispatch and the catalog use too.
Without terms the town's settings decide (:func:`ordering.domain.facts.delivery_zone`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from downtown_events.catalog import Address
from downtown_events.delivery.fees import FeeQuote
from downtown_events.delivery.slots import DeliverySlot
from downtown_events.delivery.terms import delivery_fee, offered_slots, zone_for
from downtown_events.dispatch import DeliveryTermsSet, DeliveryZoneTerms
from downtown_events.geo import GeoPoint
from downtown_events.ordering import Fulfilment, TimeSlot
from ordering.domain.errors import DeliverySlotRefused, InvalidChange, checked
from ordering.domain.facts import MerchantFacts, TownSettings, as_utc

SLOT_ID = re.compile(r"(standard|town_round):([0-9]{8}T[0-9]{4}Z)")
"""A slot's id as :func:`downtown_events.delivery.slots.cut_slots` names it: its kind and start."""
MAX_DAYS_AHEAD = 365
ZONE_NAME_LENGTH = 60
"""What an order's ``delivery_zone`` holds; a longer zone name is cut."""


@dataclass(frozen=True)
class SlotRequest:
    """The delivery slot a customer named: by its id (as the quote lists it) or its start."""

    slot_id: str | None = None
    starts_at: datetime | None = None

    def __post_init__(self) -> None:
        if (self.slot_id is None) == (self.starts_at is None):
            raise InvalidChange("name a delivery slot by its slot_id or by its starts_at, one of them")
        if self.starts_at is not None and self.starts_at.tzinfo is None:
            raise InvalidChange("a delivery slot's start needs its offset, such as +01:00")

    def start(self) -> datetime | None:
        """The instant the named slot starts (None: an id that is not a slot's)."""
        if self.starts_at is not None:
            return as_utc(self.starts_at)
        match = SLOT_ID.fullmatch(self.slot_id or "")
        if match is None:
            return None
        try:
            return datetime.strptime(match[2], "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
        except ValueError:
            return None

    def names(self, slot: DeliverySlot) -> bool:
        if self.slot_id is not None:
            return slot.slot_id == self.slot_id
        return as_utc(slot.starts_at) == self.start()


@dataclass(frozen=True)
class Door:
    """Where a checkout's delivery goes: the address and, if the customer set it, its pin."""

    address: Address
    pin: GeoPoint | None = None


@dataclass(frozen=True)
class CourierDelivery:
    """A checkout's one delivery: the zone, the slot, the fee, and the order that carries it."""

    zone: DeliveryZoneTerms
    slot: DeliverySlot
    fee: FeeQuote
    carrier: UUID
    """The merchant whose order carries the customer's part of the fee (the first delivering)."""

    def fulfilment(self, merchant_id: UUID) -> Fulfilment:
        """The delivery of ``merchant_id``'s order: the slot (a courier order), the zone, and
        the customer's part of the fee on the carrier's order, 0 on the others."""
        return checked(
            Fulfilment,
            method="delivery",
            delivery_zone=self.zone.name[:ZONE_NAME_LENGTH],
            delivery_fee_cents=self.fee.customer_cents if merchant_id == self.carrier else 0,
            delivery_slot=TimeSlot(starts_at=self.slot.starts_at, ends_at=self.slot.ends_at),
            delivery_slot_kind=self.slot.kind,
        )


def slots_ahead(terms: DeliveryTermsSet, settings: TownSettings, now: datetime) -> list[DeliverySlot]:
    """The terms' slots from the town's today to the horizon a pickup may lie ahead (goods are
    not held longer for a delivery either)."""
    today = now.astimezone(settings.timezone).date()
    last = (as_utc(now) + settings.pickup_horizon).astimezone(settings.timezone).date()
    return offered_slots(terms, today, min(last, today + timedelta(days=MAX_DAYS_AHEAD)), settings.timezone)


def bookable_slots(terms: DeliveryTermsSet, settings: TownSettings, now: datetime) -> list[DeliverySlot]:
    """The slots a checkout may book now: starting at least the terms' lead time from now."""
    earliest = as_utc(now) + timedelta(minutes=terms.lead_minutes)
    return [slot for slot in slots_ahead(terms, settings, now) if as_utc(slot.starts_at) >= earliest]


def choose_slot(
    terms: DeliveryTermsSet, request: SlotRequest | None, settings: TownSettings, now: datetime
) -> DeliverySlot:
    """The slot named, if the terms offer it and it can still be booked, else the next one."""
    bookable = bookable_slots(terms, settings, now)
    if request is None:
        if not bookable:
            raise InvalidChange(
                "the town's couriers offer no delivery slot in the coming days; pick up at the shop instead"
            )
        return bookable[0]
    start = request.start()
    if start is not None and start <= as_utc(now):
        raise DeliverySlotRefused("the delivery slot lies in the past; choose a later one")
    named = next((slot for slot in slots_ahead(terms, settings, now) if request.names(slot)), None)
    if named is None:
        raise DeliverySlotRefused(
            "the town's couriers do not offer that delivery slot; choose one the basket's quote lists"
        )
    if named not in bookable:
        raise DeliverySlotRefused(
            f"the delivery slot starts too soon: the shops need {terms.lead_minutes} minutes to pack; "
            "choose a later one"
        )
    return named


def door_zone(terms: DeliveryTermsSet, door: Door) -> DeliveryZoneTerms:
    """The zone of the terms that takes the door, or a refusal that says what to do."""
    zone = zone_for(terms, door.pin, door.address.postal_code.strip())
    if zone is not None:
        return zone
    pin = "" if door.pin is not None or not any(z.polygon for z in terms.zones) else "; set the pin on the map"
    raise InvalidChange(
        f"the town's couriers do not deliver to {door.address.postal_code.strip()}: check the postal code{pin}, "
        "or pick up at the shop instead"
    )


def plan_delivery(
    terms: DeliveryTermsSet,
    doors: Mapping[UUID, Door],
    slots: Mapping[UUID, SlotRequest | None],
    merchants: Mapping[UUID, MerchantFacts],
    goods_cents: int,
    settings: TownSettings,
    now: datetime,
) -> CourierDelivery:
    """The one delivery of a checkout's orders to be delivered (``doors`` keyed by merchant,
    in the checkout's order: the first carries the fee), on goods of ``goods_cents``."""
    merchant_ids = list(doors)
    door = _one_door(doors.values())
    zone = door_zone(terms, door)
    slot = _one_slot(terms, [request for request in slots.values() if request is not None], settings, now)
    shops = []
    for merchant_id in merchant_ids:
        merchant = merchants[merchant_id]
        if merchant.location is None:
            raise InvalidChange(
                f"{merchant.name} has not put its shop on the map yet, so the town's couriers cannot fetch from it; "
                "pick up at the shop instead"
            )
        shops.append(merchant.location)
    fee = delivery_fee(terms, slot, shops, door.pin, goods_cents)
    return CourierDelivery(zone, slot, fee, merchant_ids[0])


def _one_door(doors: Iterable[Door]) -> Door:
    first, *others = doors
    if any(_same_place(door) != _same_place(first) for door in others):
        raise InvalidChange(
            "the shops of one checkout deliver together, in one trip: give every shop the same delivery address and pin"
        )
    return first


def _same_place(door: Door) -> tuple[str, str, str, GeoPoint | None]:
    address = door.address
    return (
        " ".join(address.street.casefold().split()),
        "".join(address.postal_code.split()),
        " ".join(address.city.casefold().split()),
        door.pin,
    )


def _one_slot(
    terms: DeliveryTermsSet, requests: Sequence[SlotRequest], settings: TownSettings, now: datetime
) -> DeliverySlot:
    chosen = [choose_slot(terms, request, settings, now) for request in requests] or [
        choose_slot(terms, None, settings, now)
    ]
    if any(slot.slot_id != chosen[0].slot_id for slot in chosen[1:]):
        raise DeliverySlotRefused("the shops of one checkout deliver together: choose one delivery slot for every shop")
    return chosen[0]


def next_slots(terms: DeliveryTermsSet, settings: TownSettings, now: datetime, count: int) -> list[DeliverySlot]:
    """The next ``count`` bookable slots and, if none of them is one, the next town round."""
    bookable = bookable_slots(terms, settings, now)
    shown = bookable[:count]
    if not any(slot.kind == "town_round" for slot in shown):
        shown += [slot for slot in bookable[count:] if slot.kind == "town_round"][:1]
    return shown


@dataclass(frozen=True)
class SlotOffer:
    """A slot as a quote shows it: what the delivery would cost the customer in it (None: not
    known yet, such as a fee by distance before the door's pin is set)."""

    slot: DeliverySlot
    fee_cents: int | None


@dataclass(frozen=True)
class CourierQuote:
    """What a checkout's delivery would be on dispatch's terms: the door's zone (None: no
    door given, or none takes it), the next slots with their fees, and the shop carrying it."""

    zone: DeliveryZoneTerms | None
    slots: tuple[SlotOffer, ...]
    carrier: UUID | None
    """The shop whose order would carry the fee (the first that would deliver)."""

    @property
    def fee_cents(self) -> int | None:
        """The fee in the next slot, which checkout takes when none is named."""
        return self.slots[0].fee_cents if self.slots else None


QUOTED_SLOTS = 4
"""How many of the next slots a quote shows (and the next town round besides)."""


def quote_delivery(
    terms: DeliveryTermsSet,
    delivering: Sequence[MerchantFacts],
    goods_cents: int,
    postal_code: str | None,
    pin: GeoPoint | None,
    settings: TownSettings,
    now: datetime,
) -> CourierQuote:
    """As :func:`plan_delivery` would decide for the shops ``delivering`` (in the checkout's
    order) and their goods, without refusing: what is not known yet is None."""
    code = postal_code.strip() if postal_code else None
    zone = zone_for(terms, pin, code) if code or pin else None
    shops = [merchant.location for merchant in delivering if merchant.location is not None]
    offers = []
    for slot in next_slots(terms, settings, now, QUOTED_SLOTS):
        try:
            fee: int | None = delivery_fee(terms, slot, shops, pin, goods_cents).customer_cents if shops else None
        except InvalidChange:  # by distance without the door's pin
            fee = None
        offers.append(SlotOffer(slot, fee))
    return CourierQuote(zone, tuple(offers), delivering[0].merchant_id if delivering else None)
