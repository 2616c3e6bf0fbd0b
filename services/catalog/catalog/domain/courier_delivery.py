# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who the town's couriers deliver for: the directory's answer from dispatch's published terms.

A town with couriers (dispatch's :class:`~downtown_events.dispatch.DeliveryTermsSet`) delivers
for a merchant that offers delivery and whose shop lies in one of the town's zones (its pin
inside a zone's polygon, or its postal code on a zone's list): the couriers fetch there. The
customer then reads the town's fee rule and the next slot, which are the same for every such
merchant, so :func:`town_delivery` works them out once per page and :func:`delivered_for`
decides per merchant. The arithmetic is dispatch's and ordering's too (``downtown_events.delivery``),
so the directory never promises another fee or slot than the checkout computes.

The next slot is the first one that starts at least the terms' lead time from now. The
catalog does not know how full a slot is (ordering counts its bookings): a full slot is
still shown here, and the checkout offers the next one with room.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from downtown_events.delivery.fees import DistanceFee, FeeRule, FlatFee
from downtown_events.delivery.slots import DeliverySlot, next_free_slot
from downtown_events.delivery.terms import fee_rule_of, offered_slots, zone_for
from downtown_events.dispatch import DeliveryTermsSet, DeliveryZoneTerms
from downtown_events.geo import GeoPoint

FeeKind = Literal["free", "flat", "from"]
"""``free``: the customer pays nothing; ``flat``: this amount; ``from``: by distance, at least this."""
_WEEKS_AHEAD = timedelta(days=15)
"""How far ahead the next slot is looked for: a weekly slot comes round within a week, after
a lead time of at most a week (the contract's bound)."""


@dataclass(frozen=True)
class FeeOffer:
    """A delivery's fee as the directory announces it, before the customer's door and basket
    are known. ``cents``: the flat fee, or a fee by distance's base; 0 when free.
    ``free_above_cents``: from this value of goods the customer pays nothing (None: never)."""

    kind: FeeKind
    cents: int
    free_above_cents: int | None = None


@dataclass(frozen=True)
class TownDelivery:
    """The town's terms as every merchant's entry shows them, worked out once."""

    terms: DeliveryTermsSet
    fee: FeeOffer
    next_slot: DeliverySlot | None
    timezone: tzinfo
    """The town's: a slot is shown on its clock."""

    @property
    def zone_names(self) -> tuple[str, ...]:
        """Where the couriers deliver to: the town's zones, in the terms' order."""
        return tuple(zone.name for zone in self.terms.zones)


@dataclass(frozen=True)
class CourierDelivery:
    """The town's couriers deliver for a merchant: its shop lies in ``zone``."""

    zone: DeliveryZoneTerms
    town: TownDelivery


def town_delivery(terms: DeliveryTermsSet | None, now: datetime) -> TownDelivery | None:
    """The town's delivery as of ``now`` (aware, in the town's zone: its slots are cut on that
    clock); None while dispatch has published no terms."""
    if terms is None:
        return None
    if now.tzinfo is None:
        raise ValueError("now must be an aware moment in the town's zone")
    today = now.date()
    slots = offered_slots(terms, today, today + _WEEKS_AHEAD, now.tzinfo)
    lead = timedelta(minutes=terms.lead_minutes)
    return TownDelivery(terms, fee_offer(fee_rule_of(terms.fee)), next_free_slot(slots, now, {}, lead), now.tzinfo)


def delivered_for(
    town: TownDelivery | None, offers_delivery: bool, location: GeoPoint | None, postal_code: str | None
) -> CourierDelivery | None:
    """Whether the town's couriers deliver for a merchant: there are terms, the merchant
    offers delivery, and its shop (pin or postal code) lies in one of the zones."""
    if town is None or not offers_delivery:
        return None
    zone = zone_for(town.terms, location, postal_code)
    return None if zone is None else CourierDelivery(zone, town)


def fee_offer(rule: FeeRule) -> FeeOffer:
    """What a customer pays for a door anywhere in the town's zones, as far as the rule alone
    says: nothing when the town pays or the price is 0, else the flat fee or a distance
    fee's base; and the value of goods from which it is waived."""
    pricing = rule.pricing
    if rule.paid_by == "town" or rule.free_above_cents == 0:
        return FeeOffer("free", 0)
    if isinstance(pricing, DistanceFee):
        offer = FeeOffer("from", pricing.base_cents)
    elif isinstance(pricing, FlatFee) and pricing.cents > 0:
        offer = FeeOffer("flat", pricing.cents)
    else:  # free, or a flat fee of nothing
        return FeeOffer("free", 0)
    return FeeOffer(offer.kind, offer.cents, rule.free_above_cents)
