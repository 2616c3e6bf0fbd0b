# SPDX-License-Identifier: AGPL-3.0-or-later
"""What ordering knows of the catalog and of its town, as checkout asks it.

The app layer fills these from ordering's own replica of the catalog (a read model kept
from the catalog's events: no synchronous call to another service) and from the town's
settings. An offer or merchant the replica does not hold is simply absent from the mappings
checkout is given: unknown, or another town's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal
from uuid import UUID

from downtown_events.catalog import Address, TimeWindow
from downtown_events.geo import GeoPoint
from downtown_events.ordering import OfferKind, TimeSlot

TaxNumberKind = Literal["steuernummer", "ust_idnr", ""]
STANDARD_VAT_PERCENT = 19
POSTAL_CODE = re.compile(r"[0-9]{5}")
"""A German postal code, whole: zones match by prefix, so a code cut short ("4814") or
padded ("481439999") would otherwise find one."""
"""Germany's standard rate (§ 12 Abs. 1 UStG); the reduced one (7 %) is configured per category."""


@dataclass(frozen=True)
class OfferFacts:
    """An offer as the replica knows it now. ``stock`` None: not counted (made to order, a
    service). A service has a duration and weekly bookable hours."""

    offer_id: UUID
    merchant_id: UUID
    kind: OfferKind
    title: str
    price_cents: int
    stock: int | None = None
    withdrawn: bool = False
    category: str = ""
    duration_minutes: int | None = None
    weekly_availability: tuple[TimeWindow, ...] = ()
    video_consultation: bool = False
    """A service held by video (the merchant offers video consultations): it gets a meeting link."""
    vat_percent: int | None = None
    """The VAT rate the merchant listed the offer at in the catalog (None: an offer listed
    before offers carried one; the merchant's configured rates then decide)."""


@dataclass(frozen=True)
class MerchantFacts:
    """A merchant as the replica knows it now, and the VAT rates its offers are sold at
    (the catalog does not say; the association configures them per category or offer)."""

    merchant_id: UUID
    name: str
    category: str = ""
    suspended: bool = False
    closed: bool = False
    closed_note: str = ""
    offers_delivery: bool = False
    offers_pickup: bool = True
    opening_hours: tuple[TimeWindow, ...] = ()
    vat_percent_by_offer: Mapping[UUID, int] = field(default_factory=dict)
    vat_percent_by_category: Mapping[str, int] = field(default_factory=dict)
    """Keyed by category (case does not matter): an offer's own category first, then the merchant's."""
    approved: bool = False
    """The town's association vouches for it (the catalog's ``MerchantApproved``): only then
    does it act with money, and take orders on invoice."""
    tax_number: str = ""
    """The VAT id or Steuernummer its invoices carry ("": none given)."""
    address: Address | None = None
    """Where the shop is, as its invoices name it (None: the replica has no usable address)."""
    tax_number_kind: TaxNumberKind = ""
    """Whether ``tax_number`` is a Steuernummer or a USt-IdNr (the invoice's label says which)."""
    iban: str = ""
    """The account its invoices ask customers to pay into ("": none recorded in the profile)."""
    bic: str = ""
    account_holder: str = ""
    location: GeoPoint | None = None
    """The shop's door on the map, where the town's couriers fetch its orders (None: not set)."""

    def vat_percent(self, offer: OfferFacts, standard: int = STANDARD_VAT_PERCENT) -> int:
        """The rate the offer's price includes: set for the offer, else for its category,
        else for the merchant's category, else the standard rate."""
        if offer.vat_percent is not None:
            return offer.vat_percent
        if offer.offer_id in self.vat_percent_by_offer:
            return self.vat_percent_by_offer[offer.offer_id]
        by_category = {name.casefold(): rate for name, rate in self.vat_percent_by_category.items()}
        for category in (offer.category, self.category):
            if category and category.casefold() in by_category:
                return by_category[category.casefold()]
        return standard


@dataclass(frozen=True)
class TownSettings:
    """The town's rules for orders. ``delivery_fees_cents`` maps a postal code, or the start
    of one ("486" for every 486xx), to the courier's fee there: the town's delivery zones
    until dispatch publishes the town's terms (:mod:`ordering.domain.courier_delivery`)."""

    timezone: tzinfo
    merchant_answer_time: timedelta = timedelta(hours=2)
    """How long a merchant has to answer an order, counted in its opening hours
    (:mod:`ordering.domain.answer_time`)."""
    merchant_answer_fallback: timedelta = timedelta(hours=24)
    """The same, in plain time, for a shop that names no opening hours."""
    answers_time: timedelta = timedelta(minutes=15)
    """How long the catalog and vouchers have to answer an order (seconds, normally)."""
    cancellation_grace: timedelta = timedelta(minutes=30)
    delivery_fees_cents: Mapping[str, int] = field(default_factory=dict)
    standard_vat_percent: int = STANDARD_VAT_PERCENT
    pickup_horizon: timedelta = timedelta(days=30)
    """How far ahead a pickup window may lie: goods are not held for a day nobody will see."""
    booking_horizon: timedelta = timedelta(days=365)
    """How far ahead a service may be booked (a wedding's music is booked months ahead)."""
    slot_hold: timedelta = timedelta(minutes=10)
    """How long a service's time put in a basket is kept from other baskets (renewed when
    put again, and at checkout): long enough to check out, short enough not to block it."""
    guest_units_per_offer: int | None = None
    """Units of one counted product a guest's checkout may reserve (None: no cap). A guest's
    order holds its stock until the merchant answers; a cap keeps one from holding it all."""


def delivery_zone(postal_code: str, fees_cents: Mapping[str, int]) -> tuple[str, int] | None:
    """The zone (the longest configured postal code or prefix the code starts with; ``""``
    covers every code, as the zone of that code) and its fee, or None where the town's
    couriers do not go."""
    code = "".join(postal_code.split()).upper()
    if not code:
        return None
    matches = [zone for zone in fees_cents if code.startswith("".join(zone.split()).upper())]
    if not matches:
        return None
    zone = max(matches, key=lambda zone: len(zone.strip()))
    return (zone.strip() or code), fees_cents[zone]


def within_windows(slot: TimeSlot, windows: Iterable[TimeWindow], timezone: tzinfo) -> bool:
    """Whether the whole of ``slot`` lies inside one weekly window of the town's wall clock
    (windows never cross midnight, so neither may the slot).

    Compared as instants, in UTC: two datetimes in one ``ZoneInfo`` compare by their wall
    clock, and in the autumn night 02:30+02:00 and 02:30+01:00 (an hour apart) read alike.
    The slot's ends read on the clock lie within the window, and its instants within the
    window's: from the first time the clock shows the opening to the last time it shows the
    closing, so in that night a window until 03:00 holds the repeated hour too."""
    starts_at, ends_at = as_utc(slot.starts_at), as_utc(slot.ends_at)
    if ends_at <= starts_at:
        return False
    starts, ends = starts_at.astimezone(timezone), ends_at.astimezone(timezone)
    day, first, last = starts.date(), starts.time(), ends.time()
    for window in windows:
        on_the_clock = window.opens <= first <= window.closes and window.opens <= last <= window.closes
        if window.weekday != day.weekday() or not on_the_clock:
            continue
        opens = datetime.combine(day, window.opens, tzinfo=timezone)
        closes = datetime.combine(day, window.closes, tzinfo=timezone).replace(fold=1)
        if as_utc(opens) <= starts_at and ends_at <= as_utc(closes):
            return True
    return False


def as_utc(moment: datetime) -> datetime:
    """An aware moment in UTC, for comparing and subtracting as instants, never wall clocks."""
    return moment.astimezone(UTC)
