# SPDX-License-Identifier: AGPL-3.0-or-later
"""A shop's terms for an order placed now, as checkout would set them: delivery to a postal
code (the zone and fee), pickup windows in its opening hours, and by when it answers.

Shown before checkout by the basket's quote (:mod:`ordering.domain.quote`), by the rules
:mod:`ordering.domain.placement` applies: the same zone lookup, pickup horizon and
:func:`~ordering.domain.answer_time.answer_deadline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from downtown_events.ordering import TimeSlot
from ordering.domain.answer_time import answer_deadline
from ordering.domain.facts import POSTAL_CODE, MerchantFacts, TownSettings, as_utc, delivery_zone

PICKUP_STEP = timedelta(minutes=5)
"""A pickup window open now starts at the next five minutes, not at the odd second of asking."""


@dataclass(frozen=True)
class DeliveryQuote:
    possible: bool
    zone: str | None = None
    fee_cents: int | None = None
    offered: bool = False
    """Whether the shop delivers at all (``possible`` also needs a postal code its couriers reach)."""


@dataclass(frozen=True)
class PickupQuote:
    possible: bool
    windows: tuple[TimeSlot, ...] = ()
    """The shop's opening hours on the next days, from now: a pickup window lies in one."""


def delivery_terms(merchant: MerchantFacts | None, postal_code: str | None, settings: TownSettings) -> DeliveryQuote:
    """As checkout decides delivery: the shop delivers, the code is whole, a zone covers it."""
    offered = merchant is not None and merchant.offers_delivery
    if not offered or not postal_code or not POSTAL_CODE.fullmatch(postal_code.strip()):
        return DeliveryQuote(False, offered=offered)
    zone = delivery_zone(postal_code, settings.delivery_fees_cents)
    if zone is None:
        return DeliveryQuote(False, offered=True)
    return DeliveryQuote(True, zone[0], zone[1], offered=True)


def pickup_terms(
    merchant: MerchantFacts | None, days: Sequence[date], settings: TownSettings, now: datetime
) -> PickupQuote:
    if merchant is None or not merchant.offers_pickup:
        return PickupQuote(False)
    windows = pickup_windows(merchant, days, settings, now)
    return PickupQuote(bool(windows), windows)


def pickup_windows(
    merchant: MerchantFacts, days: Sequence[date], settings: TownSettings, now: datetime
) -> tuple[TimeSlot, ...]:
    """The shop's opening hours on ``days`` as instants, from now on, within the pickup
    horizon; one open now begins at the next five minutes."""
    zone, earliest = settings.timezone, _next_step(as_utc(now))
    latest = as_utc(now) + settings.pickup_horizon
    found = []
    for day in sorted(set(days)):
        for window in merchant.opening_hours:
            if window.weekday != day.weekday():
                continue
            opens = as_utc(datetime.combine(day, window.opens, tzinfo=zone))
            closes = as_utc(datetime.combine(day, window.closes, tzinfo=zone).replace(fold=1))
            starts = max(opens, earliest)
            if starts < closes and starts <= latest:
                found.append(TimeSlot(starts_at=starts.astimezone(zone), ends_at=closes.astimezone(zone)))
    return tuple(sorted(found, key=lambda window: as_utc(window.starts_at)))


def _next_step(moment: datetime) -> datetime:
    step = PICKUP_STEP.total_seconds()
    seconds = moment.timestamp()
    rounded = -(-seconds // step) * step
    return moment + timedelta(seconds=rounded - seconds)


def answer_by(merchant: MerchantFacts, settings: TownSettings, now: datetime) -> datetime:
    """As :func:`ordering.domain.placement.place_order` sets an order's ``merchant_answer_by``."""
    return answer_deadline(
        now,
        merchant.opening_hours,
        settings.timezone,
        open_time=settings.merchant_answer_time,
        fallback=settings.merchant_answer_fallback,
    )
