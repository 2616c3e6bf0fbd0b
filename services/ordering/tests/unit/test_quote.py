# SPDX-License-Identifier: AGPL-3.0-or-later
"""A basket's quote, composed from what the replica and the holds say: per shop its lines,
subtotal, delivery and pickup, answer time and free slots; what checkout would refuse, as
warnings; and the same rules as checkout (a quote without warnings checks out)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from downtown_events.catalog import TimeWindow
from downtown_events.ordering import TimeSlot
from ordering.domain import basket as baskets
from ordering.domain import slot_holds
from ordering.domain.answer_time import answer_deadline
from ordering.domain.basket import Basket
from ordering.domain.checkout import CustomerDetails, MerchantChoice, PaymentChoice, PickupChoice, check_out
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings
from ordering.domain.quote import QuoteFacts, quote
from ordering.domain.shop_terms import pickup_windows
from ordering.domain.slots import days_from

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 10, 7, 30, tzinfo=BERLIN)  # a Monday, 10:07:30
MONDAY = date(2026, 3, 2)
SETTINGS = TownSettings(
    timezone=BERLIN, merchant_answer_time=timedelta(minutes=30), delivery_fees_cents={"48624": 390, "486": 590}
)
WEEKDAYS_10_TO_18 = tuple(TimeWindow(weekday=day, opens=time(10), closes=time(18)) for day in range(6))
WINE = MerchantFacts(uuid4(), "Weinhandlung Hemsing", offers_delivery=True, opening_hours=WEEKDAYS_10_TO_18)
BAKERY = MerchantFacts(
    uuid4(), "Bäckerei Kösters", opening_hours=(TimeWindow(weekday=1, opens=time(7), closes=time(12)),)
)
RIESLING = OfferFacts(uuid4(), WINE.merchant_id, "product", "Riesling", 1290, stock=12)
TASTING = OfferFacts(uuid4(), WINE.merchant_id, "service", "Weinprobe", 2500, None, False, "", 60, WEEKDAYS_10_TO_18)
BREAD = OfferFacts(uuid4(), BAKERY.merchant_id, "product", "Roggenbrot", 450, stock=3)
TUESDAY_11 = TimeSlot(
    starts_at=datetime(2026, 3, 3, 11, 0, tzinfo=BERLIN), ends_at=datetime(2026, 3, 3, 12, 0, tzinfo=BERLIN)
)
OFFERS = {offer.offer_id: offer for offer in (RIESLING, TASTING, BREAD)}
MERCHANTS = {WINE.merchant_id: WINE, BAKERY.merchant_id: BAKERY}


def filled(*lines: tuple[OfferFacts, int, TimeSlot | None]) -> Basket:
    basket_id = uuid4()
    events = baskets.open_basket(None, basket_id=basket_id, access_token_hash="a" * 64, now=NOW)
    state = baskets.replay(events)
    for offer, quantity, slot in lines:
        put = baskets.put(
            state,
            offer_id=offer.offer_id,
            merchant_id=offer.merchant_id,
            kind=offer.kind,
            title=offer.title,
            quantity=quantity,
            unit_price_cents=offer.price_cents,
            slot=slot,
        )
        events = [*events, *put]
        state = baskets.replay(events)
    assert state is not None
    return state


def held(basket: Basket, slot: TimeSlot, now: datetime = NOW) -> dict[tuple[UUID, date], slot_holds.SlotHolds]:
    events = slot_holds.hold(
        slot_holds.SlotHolds(),
        offer_id=TASTING.offer_id,
        basket_id=basket.basket_id,
        slot=slot,
        now=now,
        hold_for=SETTINGS.slot_hold,
    )
    return {(TASTING.offer_id, slot.starts_at.date()): slot_holds.replay(events)}


def facts(**changes: object) -> QuoteFacts:
    return replace(QuoteFacts(OFFERS, MERCHANTS, {}, {}), **changes)  # type: ignore[arg-type]


def test_each_shop_s_lines_subtotal_delivery_pickup_answer_time_and_free_slots() -> None:
    basket = filled((RIESLING, 2, None), (TASTING, 1, TUESDAY_11), (BREAD, 1, None))
    quoted = quote(
        basket, facts(holds=held(basket, TUESDAY_11)), SETTINGS, NOW, days=days_from(MONDAY, 2), postal_code="48624"
    )
    wine, bakery = quoted.shops
    assert (wine.name, wine.goods_cents, bakery.goods_cents) == ("Weinhandlung Hemsing", 2 * 1290 + 2500, 450)
    assert (wine.delivery.possible, wine.delivery.zone, wine.delivery.fee_cents) == (True, "48624", 390)
    assert not bakery.delivery.possible and not bakery.delivery.offered
    assert [(w.starts_at.isoformat(), w.ends_at.isoformat()) for w in wine.pickup.windows] == [
        ("2026-03-02T10:10:00+01:00", "2026-03-02T18:00:00+01:00"),  # open now: from the next five minutes
        ("2026-03-03T10:00:00+01:00", "2026-03-03T18:00:00+01:00"),
    ]
    assert [w.starts_at.isoformat() for w in bakery.pickup.windows] == ["2026-03-03T07:00:00+01:00"]
    assert wine.answer_by == answer_deadline(
        NOW, WINE.opening_hours, BERLIN, open_time=timedelta(minutes=30), fallback=SETTINGS.merchant_answer_fallback
    )
    tasting_line = next(line for line in wine.lines if line.line.slot is not None)
    assert tasting_line.slot_status == "held" and tasting_line.held_until == NOW + SETTINGS.slot_hold
    free = wine.free_slots[TASTING.offer_id].slots
    assert TUESDAY_11 in free and len(free) == 7 + 8  # Monday from 11:00, all Tuesday (its own hold counts free)
    assert (quoted.goods_cents, quoted.delivery_cents, quoted.warnings) == (2 * 1290 + 2500 + 450, 390, ())


def test_what_checkout_would_refuse_is_listed_as_warnings_with_codes() -> None:
    basket = filled((RIESLING, 2, None), (TASTING, 1, TUESDAY_11), (BREAD, 5, None))
    other = filled()
    changed = facts(
        offers={**OFFERS, RIESLING.offer_id: replace(RIESLING, price_cents=1390)},
        merchants={**MERCHANTS, BAKERY.merchant_id: replace(BAKERY, closed=True, closed_note="Urlaub")},
        holds=held(other, TUESDAY_11),
    )
    quoted = quote(basket, changed, SETTINGS, NOW, days=[MONDAY], postal_code="10115")
    codes = [(warning.code, warning.title) for warning in quoted.warnings]
    assert codes == [
        ("price_changed", "Riesling"),
        ("slot_held_elsewhere", "Weinprobe"),
        ("no_delivery_here", "Weinhandlung Hemsing"),
        ("merchant_closed", "Bäckerei Kösters"),
        ("out_of_stock", "Roggenbrot"),
    ]
    assert quoted.warnings[0].values == {"old_cents": 1290, "new_cents": 1390}
    assert quoted.warnings[-1].values == {"left": 3, "wanted": 5}
    wine, bakery = quoted.shops
    assert not bakery.taking_orders and bakery.answer_by is None and wine.answer_by is not None


def test_a_withdrawn_offer_a_booked_time_and_a_hold_that_ran_out_are_warned_of() -> None:
    basket = filled((RIESLING, 1, None), (TASTING, 1, TUESDAY_11))
    gone = facts(offers={**OFFERS, RIESLING.offer_id: replace(RIESLING, withdrawn=True)})
    later = NOW + SETTINGS.slot_hold
    ran_out = quote(basket, replace(gone, holds=held(basket, TUESDAY_11)), SETTINGS, later, days=[MONDAY])
    assert [warning.code for warning in ran_out.warnings] == ["offer_withdrawn", "slot_hold_ended"]
    booked = quote(basket, replace(gone, booked={TASTING.offer_id: [TUESDAY_11]}), SETTINGS, NOW, days=[MONDAY])
    assert [warning.code for warning in booked.warnings] == ["offer_withdrawn", "slot_booked"]


def test_a_quote_without_warnings_is_a_basket_checkout_accepts() -> None:
    basket = filled((RIESLING, 2, None), (TASTING, 1, TUESDAY_11))
    quoted = quote(basket, facts(holds=held(basket, TUESDAY_11)), SETTINGS, NOW, days=[MONDAY])
    assert quoted.warnings == ()
    (window, *_) = quoted.shops[0].pickup.windows
    pickup = TimeSlot(starts_at=window.starts_at, ends_at=window.starts_at + timedelta(hours=1))
    choice = MerchantChoice(PickupChoice(pickup), PaymentChoice("at_pickup"))
    customer = CustomerDetails(name="Anna", email="anna@example.de", guest_token_hash="b" * 64)
    decision = check_out(
        basket,
        checkout_id=uuid4(),
        customer=customer,
        choices={WINE.merchant_id: choice},
        offers=OFFERS,
        merchants=MERCHANTS,
        settings=SETTINGS,
        now=NOW,
    )
    assert decision.total_cents == quoted.goods_cents


def test_pickup_windows_on_the_autumn_night_hold_the_repeated_hour() -> None:
    night_shop = replace(WINE, opening_hours=(TimeWindow(weekday=6, opens=time(1), closes=time(4)),))
    sunday = date(2026, 10, 25)
    (window,) = pickup_windows(night_shop, [sunday], SETTINGS, datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN))
    assert (window.starts_at.isoformat(), window.ends_at.isoformat()) == (
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T04:00:00+01:00",
    )
