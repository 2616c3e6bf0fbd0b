# SPDX-License-Identifier: Apache-2.0
"""The published terms (:class:`~downtown_events.dispatch.DeliveryTermsSet`) as the values the
arithmetic works on, and the three questions every reader of the terms asks: which zone takes
this door, what does this delivery cost, which slots are offered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, tzinfo

from downtown_events.delivery.fees import DistanceFee, FeeQuote, FeeRule, FlatFee, FreeDelivery, Pricing, quote_fee
from downtown_events.delivery.geo import Coordinates
from downtown_events.delivery.slots import DeliverySlot, SlotDefinition, cut_slots, fee_rule_for
from downtown_events.delivery.zones import DeliveryZone, PolygonZone, PostalCodeZone, delivers_to
from downtown_events.dispatch import DeliveryTermsSet, DeliveryZoneTerms, FeeRuleTerms, SlotTerms
from downtown_events.geo import GeoPoint


def coordinates_of(point: GeoPoint) -> Coordinates:
    return Coordinates(lat=point.lat, lon=point.lon)


def zones_of(zone: DeliveryZoneTerms) -> tuple[DeliveryZone, ...]:
    """A zone drawn as a polygon, as postal codes, or both (either takes the door)."""
    drawn: list[DeliveryZone] = []
    if zone.polygon:
        drawn.append(PolygonZone(tuple(coordinates_of(point) for point in zone.polygon)))
    if zone.postal_codes:
        drawn.append(PostalCodeZone(frozenset(zone.postal_codes)))
    return tuple(drawn)


def zone_for(terms: DeliveryTermsSet, pin: GeoPoint | None, postal_code: str | None) -> DeliveryZoneTerms | None:
    """The first of the town's zones that takes a door known by its pin and/or postal code."""
    where = coordinates_of(pin) if pin is not None else None
    for zone in terms.zones:
        if any(delivers_to(drawn, where, postal_code) for drawn in zones_of(zone)):
            return zone
    return None


def fee_rule_of(fee: FeeRuleTerms) -> FeeRule:
    pricing: Pricing
    if fee.pricing == "free":
        pricing = FreeDelivery()
    elif fee.pricing == "flat":
        pricing = FlatFee(fee.cents)
    else:
        pricing = DistanceFee(fee.base_cents, fee.per_km_cents, fee.cap_cents)
    return FeeRule(pricing, paid_by=fee.paid_by, free_above_cents=fee.free_above_cents)


def slot_definitions(terms: DeliveryTermsSet) -> list[SlotDefinition]:
    return [_definition(slot) for slot in terms.slots]


def _definition(slot: SlotTerms) -> SlotDefinition:
    rule = None if slot.fee is None else fee_rule_of(slot.fee)
    return SlotDefinition(slot.weekday, slot.starts, slot.ends, slot.capacity, slot.kind, slot.label, rule)


def offered_slots(terms: DeliveryTermsSet, first: date, last: date, timezone: tzinfo) -> list[DeliverySlot]:
    """The terms' slots on the days ``first`` to ``last``, in time order."""
    return cut_slots(slot_definitions(terms), first, last, timezone)


def delivery_fee(
    terms: DeliveryTermsSet,
    slot: DeliverySlot | None,
    shops: Iterable[GeoPoint],
    door: GeoPoint | None,
    basket_cents: int,
) -> FeeQuote:
    """What one delivery of a checkout costs, by the slot's rule (a town round's) or the
    town's: the customer's part and the town's part."""
    town_rule = fee_rule_of(terms.fee)
    rule = town_rule if slot is None else fee_rule_for(slot, town_rule)
    return quote_fee(
        rule, [coordinates_of(shop) for shop in shops], None if door is None else coordinates_of(door), basket_cents
    )
