# SPDX-License-Identifier: AGPL-3.0-or-later
"""Checkout's limits in time and place (regressions from issue 14): slots and windows compare
as instants (the autumn clock-change night), a delivery's postal code has five digits, a
pickup window or booking lies within the town's horizon, and a guest's checkout reserves
only so much of one product. Every rule is handed its clock: nothing depends on today."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from downtown_events.catalog import Address, TimeWindow
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import TimeSlot
from ordering.domain import basket
from ordering.domain.checkout import (
    CheckoutDecision,
    CustomerDetails,
    DeliveryChoice,
    MerchantChoice,
    PaymentChoice,
    PickupChoice,
    check_out,
)
from ordering.domain.errors import InvalidChange
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings, within_windows

BERLIN = ZoneInfo("Europe/Berlin")
BEFORE_THE_NIGHT = datetime(2026, 10, 20, 12, 0, tzinfo=UTC)  # the Tuesday before
ALL_DAY = tuple(TimeWindow(weekday=day, opens=time(0), closes=time(23, 59)) for day in range(7))
SETTINGS = TownSettings(
    timezone=BERLIN,
    delivery_fees_cents={"4814": 290, "": 390},  # a zone by prefix, as towns configure them
    pickup_horizon=timedelta(days=30),
    booking_horizon=timedelta(days=365),
    guest_units_per_offer=20,
)
NIGHT_OWL = MerchantFacts(uuid4(), "Nachtcafé Eule", offers_delivery=True, opening_hours=ALL_DAY)
WATCH = OfferFacts(
    uuid4(), NIGHT_OWL.merchant_id, "service", "Nachtwache", 4500, duration_minutes=60, weekly_availability=ALL_DAY
)
COFFEE = OfferFacts(uuid4(), NIGHT_OWL.merchant_id, "product", "Kaffee", 450, stock=500)
CAKE = OfferFacts(uuid4(), NIGHT_OWL.merchant_id, "product", "Kuchen", 300)  # made to order: not counted
OFFERS = {offer.offer_id: offer for offer in (WATCH, COFFEE, CAKE)}
GUEST = CustomerDetails(name="Eva Eule", email="eva@example.de", guest_token_hash=hashlib.sha256(b"g").hexdigest())
AT_THE_SHOP = MerchantChoice(PickupChoice(), PaymentChoice("at_pickup"))
TOMORROW = TimeSlot(
    starts_at=datetime(2026, 10, 21, 10, tzinfo=BERLIN), ends_at=datetime(2026, 10, 21, 11, tzinfo=BERLIN)
)


def slot(starts: str, ends: str) -> TimeSlot:
    return TimeSlot(starts_at=datetime.fromisoformat(starts), ends_at=datetime.fromisoformat(ends))


def filled(
    *lines: tuple[OfferFacts, int], booked: TimeSlot | None = None, account_id: UUID | None = None
) -> basket.Basket:
    token = None if account_id else hashlib.sha256(b"b").hexdigest()
    history: list[IntegrationEvent] = basket.open_basket(
        None, basket_id=uuid4(), account_id=account_id, access_token_hash=token, now=BEFORE_THE_NIGHT
    )
    for offer, quantity in lines:
        history += basket.put(
            basket.replay(history),
            offer_id=offer.offer_id,
            merchant_id=offer.merchant_id,
            kind=offer.kind,
            title=offer.title,
            quantity=quantity,
            unit_price_cents=offer.price_cents,
            slot=booked if offer.kind == "service" else None,
        )
    state = basket.replay(history)
    assert state is not None
    return state


def checkout(
    state: basket.Basket,
    choice: MerchantChoice = AT_THE_SHOP,
    *,
    now: datetime = BEFORE_THE_NIGHT,
    customer: CustomerDetails = GUEST,
    settings: TownSettings = SETTINGS,
) -> CheckoutDecision:
    return check_out(
        state,
        checkout_id=uuid4(),
        customer=customer,
        choices={NIGHT_OWL.merchant_id: choice},
        offers=OFFERS,
        merchants={NIGHT_OWL.merchant_id: NIGHT_OWL},
        settings=settings,
        now=now,
    )


def pickup(window: TimeSlot) -> MerchantChoice:
    return MerchantChoice(PickupChoice(window), PaymentChoice("at_pickup"))


def delivery(postal_code: str) -> MerchantChoice:
    home = Address(street="Eulenweg 1", postal_code=postal_code, city="Münster")
    return MerchantChoice(DeliveryChoice(home), PaymentChoice("cash_at_door"))


# --- the autumn clock-change night ------------------------------------------------------


def test_an_hour_booked_across_the_autumn_clock_change_is_an_hour() -> None:
    """2026-10-25 in Berlin: at 03:00+02:00 the clocks go back to 02:00+01:00. A service of
    60 minutes booked 02:30+02:00 → 03:30+02:00 (02:30+01:00 on the clock) is one hour,
    though both ends read 02:30 on the town's wall clock."""
    night = slot("2026-10-25T02:30:00+02:00", "2026-10-25T03:30:00+02:00")
    (order,) = checkout(filled((WATCH, 1), booked=night)).orders
    assert order.placed.lines[0].slot == night
    # The same hour written in the town's own zone (the second 02:30 has fold=1).
    zoned = TimeSlot(
        starts_at=datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN),
        ends_at=datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN),
    )
    assert checkout(filled((WATCH, 1), booked=zoned)).orders
    # Ninety minutes of wall clock that are two and a half hours are refused for their length.
    with pytest.raises(InvalidChange, match="takes 60 minutes"):
        checkout(filled((WATCH, 1), booked=slot("2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+01:00")))


def test_in_the_repeated_hour_the_later_half_hour_has_not_passed() -> None:
    """At 02:45+02:00 a slot starting at 02:30+01:00 (three quarters of an hour later) lies
    ahead, though its wall clock reads earlier; a pickup window too."""
    now = datetime(2026, 10, 25, 2, 45, tzinfo=BERLIN)  # fold=0: the first 02:45
    later = TimeSlot(
        starts_at=datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN),
        ends_at=datetime(2026, 10, 25, 3, 30, tzinfo=BERLIN),
    )
    assert checkout(filled((WATCH, 1), booked=later), now=now).orders
    assert checkout(filled((COFFEE, 1)), pickup(later), now=now).orders
    earlier = TimeSlot(starts_at=datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN), ends_at=later.starts_at)
    with pytest.raises(InvalidChange, match="in the past"):
        checkout(filled((COFFEE, 1)), pickup(earlier), now=now)


def test_windows_hold_a_slot_by_its_instants() -> None:
    repeated = slot("2026-10-25T02:30:00+02:00", "2026-10-25T02:30:00+01:00")
    assert within_windows(repeated, ALL_DAY, BERLIN)
    until_three = (TimeWindow(weekday=6, opens=time(2), closes=time(3)),)
    assert within_windows(repeated, until_three, BERLIN)  # the shop is open both times the clock shows 02:30
    until_half_past = (TimeWindow(weekday=6, opens=time(2), closes=time(2, 30)),)
    assert not within_windows(slot("2026-10-25T02:45:00+02:00", "2026-10-25T02:15:00+01:00"), until_half_past, BERLIN)
    assert not within_windows(slot("2026-10-25T22:30:00+01:00", "2026-10-26T00:30:00+01:00"), ALL_DAY, BERLIN)


# --- postal codes --------------------------------------------------------------------------


@pytest.mark.parametrize("postal_code", ["4814", "481439999", "48 14", "4814a", "D-48143", "４８１４３"])
def test_a_delivery_needs_a_postal_code_of_five_digits(postal_code: str) -> None:
    with pytest.raises(InvalidChange, match="five digits"):
        checkout(filled((COFFEE, 1)), delivery(postal_code))


def test_a_postal_code_of_five_digits_finds_its_zone_by_prefix() -> None:
    (near,) = checkout(filled((COFFEE, 1)), delivery("48143")).orders
    assert (near.placed.fulfilment.delivery_zone, near.placed.fulfilment.delivery_fee_cents) == ("4814", 290)
    (far,) = checkout(filled((COFFEE, 1)), delivery(" 48624 ")).orders
    assert far.placed.fulfilment.delivery_fee_cents == 390


# --- the horizon -----------------------------------------------------------------------------


def test_a_pickup_window_lies_within_the_towns_horizon() -> None:
    with pytest.raises(InvalidChange, match="at most 30 days ahead"):
        checkout(filled((COFFEE, 1)), pickup(slot("2099-06-01T10:00:00+02:00", "2099-06-01T11:00:00+02:00")))
    edge = BEFORE_THE_NIGHT + timedelta(days=30)
    assert checkout(filled((COFFEE, 1)), pickup(TimeSlot(starts_at=edge, ends_at=edge + timedelta(hours=1)))).orders
    beyond = edge + timedelta(minutes=1)
    with pytest.raises(InvalidChange, match="at most 30 days ahead"):
        checkout(filled((COFFEE, 1)), pickup(TimeSlot(starts_at=beyond, ends_at=beyond + timedelta(hours=1))))
    # The horizon moves with the clock handed in, not with today's date.
    later = BEFORE_THE_NIGHT + timedelta(days=20)
    assert checkout(
        filled((COFFEE, 1)), pickup(TimeSlot(starts_at=beyond, ends_at=beyond + timedelta(hours=1))), now=later
    )


def test_a_booking_lies_within_the_towns_horizon_for_bookings() -> None:
    beyond = slot("2027-10-21T10:00:00+02:00", "2027-10-21T11:00:00+02:00")  # 365 days on: 20 Oct, 14:00
    with pytest.raises(InvalidChange, match="up to 365 days ahead"):
        checkout(filled((WATCH, 1), booked=beyond))
    within = slot("2027-10-20T10:00:00+02:00", "2027-10-20T11:00:00+02:00")
    assert checkout(filled((WATCH, 1), booked=within)).orders
    with pytest.raises(InvalidChange, match="up to 30 days ahead"):
        checkout(filled((WATCH, 1), booked=within), settings=replace(SETTINGS, booking_horizon=timedelta(days=30)))


# --- a guest's share of one product -------------------------------------------------------------


def test_a_guest_reserves_at_most_the_towns_share_of_a_counted_product() -> None:
    come = pickup(TOMORROW)
    assert checkout(filled((COFFEE, 20)), come).orders
    with pytest.raises(InvalidChange, match="a guest orders at most 20 at once"):
        checkout(filled((COFFEE, 21)), come)
    assert checkout(filled((CAKE, 50)), come).orders  # not counted: nothing is held
    account = uuid4()
    signed_in = CustomerDetails(name="Eva Eule", email="eva@example.de", account_id=account)
    assert checkout(filled((COFFEE, 21), account_id=account), come, customer=signed_in).orders
    assert checkout(filled((COFFEE, 21)), come, settings=replace(SETTINGS, guest_units_per_offer=None)).orders
