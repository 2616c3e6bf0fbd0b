# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's part of the order saga: an order's stock and slots reserved all or none,
refused with a reason, given back once when the order ends unfulfilled.

The streams are kept in a dict here (the domain is pure): each decision's events are added
to the streams they name, and states are replayed from them, as the process manager does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.domain import merchant as merchants
from catalog.domain import offer as offers
from catalog.domain import reservation as reservations
from catalog.domain.offer import OfferDetails
from catalog.domain.private_events import OrderStockTaken
from downtown_events.catalog import (
    Address,
    MerchantClosed,
    MerchantProfile,
    MerchantRegistered,
    MerchantSuspended,
    OfferSlotBooked,
    OfferSlotReleased,
    OfferStockAdjusted,
    OfferWithdrawn,
    OrderReservationMade,
    OrderReservationRefused,
    OrderReservationReleased,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment, TimeSlot

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 12, 7, tzinfo=BERLIN)  # a Monday in winter (UTC+1)
PROFILE = MerchantProfile(
    name="Fahrradladen Speiche",
    category="Fahrräder",
    phone="02555 1234",
    email="laden@example.de",
    address=Address(street="Markt 3", postal_code="48624", city="Schöppingen"),
)


class Town:
    """The catalog's streams, and the decisions made on them."""

    def __init__(self) -> None:
        self.streams: dict[str, list[IntegrationEvent]] = {}
        self.merchant_id = uuid4()
        self.add(str(self.merchant_id), [MerchantRegistered(merchant_id=self.merchant_id, profile=PROFILE)])

    def add(self, stream_id: str, events: Sequence[IntegrationEvent]) -> None:
        self.streams.setdefault(stream_id, []).extend(events)

    def product(self, stock: int | None, merchant_id: UUID | None = None) -> UUID:
        seller = merchants.Merchant(merchant_id or self.merchant_id, PROFILE, version=1)
        offer_id = uuid4()
        self.add(str(offer_id), offers.list_product(None, seller, offer_id, OfferDetails("Klingel"), 990, stock))
        return offer_id

    def service(self) -> UUID:
        """Bike fitting, Mondays 9:00-12:00 and 14:00-18:00, Saturdays 10:00-14:00."""
        seller = merchants.Merchant(self.merchant_id, PROFILE, version=1)
        offer_id = uuid4()
        hours = [
            TimeWindow(weekday=0, opens=time(9), closes=time(12)),
            TimeWindow(weekday=0, opens=time(14), closes=time(18)),
            TimeWindow(weekday=5, opens=time(10), closes=time(14)),
        ]
        listed = offers.list_service(None, seller, offer_id, OfferDetails("Sitzanalyse"), 4500, 60, hours)
        self.add(str(offer_id), listed)
        return offer_id

    def offer(self, offer_id: UUID) -> offers.Offer:
        state = offers.replay(self.streams.get(str(offer_id), []))
        assert state is not None
        return state

    def reservation(self, order_id: UUID) -> reservations.Reservation | None:
        return reservations.replay(self.streams.get(str(reservations.reservation_id_for(order_id)), []))

    def _offers(self, offer_ids: set[UUID]) -> dict[UUID, offers.Offer | None]:
        return {offer_id: offers.replay(self.streams.get(str(offer_id), [])) for offer_id in offer_ids}

    def place(self, placed: OrderPlaced) -> reservations.Appends:
        merchant = merchants.replay(self.streams.get(str(placed.merchant_id), []))
        found = self._offers({line.offer_id for line in placed.lines})
        decision = reservations.reserve(placed, self.reservation(placed.order_id), found, merchant, timezone=BERLIN)
        for stream_id, events in decision.items():
            self.add(stream_id, events)
        return decision

    def end(self, order_id: UUID) -> reservations.Appends:
        reservation = self.reservation(order_id)
        found = self._offers({line.offer_id for line in reservation.lines} if reservation else set())
        decision = reservations.release(reservation, found)
        for stream_id, events in decision.items():
            self.add(stream_id, events)
        return decision


def product_line(offer_id: UUID, quantity: int = 1) -> OrderLine:
    return OrderLine(
        offer_id=offer_id, kind="product", title="Klingel", quantity=quantity, unit_price_cents=990, vat_rate_percent=19
    )


def service_line(offer_id: UUID, starts: datetime, minutes: int = 60) -> OrderLine:
    slot = TimeSlot(starts_at=starts, ends_at=starts + timedelta(minutes=minutes))
    return OrderLine(
        offer_id=offer_id,
        kind="service",
        title="Sitzanalyse",
        quantity=1,
        unit_price_cents=4500,
        vat_rate_percent=19,
        slot=slot,
    )


def order(town: Town, *lines: OrderLine, merchant_id: UUID | None = None) -> OrderPlaced:
    now = datetime.now(UTC)
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=uuid4(),
        merchant_id=merchant_id or town.merchant_id,
        lines=list(lines),
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(method="at_pickup"),
        goods_cents=0,
        total_cents=0,
        merchant_answer_by=now + timedelta(hours=1),
        cancellable_until=now + timedelta(minutes=15),
    )


def answer(town: Town, placed: OrderPlaced) -> IntegrationEvent:
    """What the catalog told the order: its reservation stream's public event."""
    (public,) = [e for e in town.streams[str(reservations.reservation_id_for(placed.order_id))] if e.published]
    return public


def refusal(town: Town, placed: OrderPlaced) -> OrderReservationRefused:
    refused = answer(town, placed)
    assert isinstance(refused, OrderReservationRefused)
    return refused


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return MONDAY + timedelta(days=days, hours=hour, minutes=minute)


# --- products ----------------------------------------------------------------------------


def test_a_product_in_stock_is_taken_from_its_offer_and_the_order_hears_made() -> None:
    town = Town()
    bell = town.product(stock=5)
    placed = order(town, product_line(bell, 2))

    decision = town.place(placed)

    (adjusted,) = decision[str(bell)]
    assert isinstance(adjusted, OfferStockAdjusted) and (adjusted.delta, adjusted.stock) == (-2, 3)
    made = answer(town, placed)
    assert isinstance(made, OrderReservationMade)
    assert made.reservation_id == reservations.reservation_id_for(placed.order_id)
    assert [(line.offer_id, line.quantity, line.slot) for line in made.lines] == [(bell, 2, None)]
    assert town.offer(bell).stock == 3


def test_all_lines_or_none_a_line_out_of_stock_takes_nothing_of_the_others() -> None:
    town = Town()
    bell, lamp, fitting = town.product(stock=5), town.product(stock=1), town.service()
    placed = order(town, product_line(bell, 2), service_line(fitting, at(10)), product_line(lamp, 2))

    decision = town.place(placed)

    assert list(decision) == [str(reservations.reservation_id_for(placed.order_id))]
    refused = refusal(town, placed)
    assert (refused.reason, refused.offer_id) == ("out_of_stock", lamp)
    assert "only 1 left" in refused.detail
    assert town.offer(bell).stock == 5 and town.offer(lamp).stock == 1
    assert town.offer(fitting).bookings == {}


def test_two_lines_of_one_product_count_together_against_its_stock() -> None:
    town = Town()
    bell = town.product(stock=3)
    placed = order(town, product_line(bell, 2), product_line(bell, 2))
    town.place(placed)
    assert refusal(town, placed).reason == "out_of_stock"
    exact = order(town, product_line(bell, 1), product_line(bell, 2))
    (adjusted,) = town.place(exact)[str(bell)]
    assert isinstance(adjusted, OfferStockAdjusted) and (adjusted.delta, adjusted.stock) == (-3, 0)


def test_the_last_unit_goes_to_one_order_and_stock_never_goes_below_zero() -> None:
    town = Town()
    bell = town.product(stock=1)
    first, second = order(town, product_line(bell)), order(town, product_line(bell))
    town.place(first)
    town.place(second)
    assert isinstance(answer(town, first), OrderReservationMade)
    assert refusal(town, second).reason == "out_of_stock"
    assert town.offer(bell).stock == 0


def test_a_product_whose_stock_is_not_counted_is_always_available_and_takes_nothing() -> None:
    town = Town()
    bread = town.product(stock=None)
    placed = order(town, product_line(bread, 40))
    decision = town.place(placed)
    assert str(bread) not in decision
    assert isinstance(answer(town, placed), OrderReservationMade)
    assert town.offer(bread).stock is None


# --- services -----------------------------------------------------------------------------


def test_a_slot_within_the_weekly_hours_is_booked_on_the_offers_stream() -> None:
    town = Town()
    fitting = town.service()
    placed = order(town, service_line(fitting, at(10)))
    (booked,) = town.place(placed)[str(fitting)]
    assert isinstance(booked, OfferSlotBooked) and booked.order_id == placed.order_id
    assert booked.slot.starts_at == at(10)
    assert isinstance(answer(town, placed), OrderReservationMade)


def test_the_weekly_hours_are_the_towns_wall_clock_even_for_a_slot_given_in_utc() -> None:
    town = Town()
    fitting = town.service()
    in_utc = order(town, service_line(fitting, datetime(2026, 12, 7, 8, 0, tzinfo=UTC)))  # 9:00 in Berlin
    town.place(in_utc)
    assert isinstance(answer(town, in_utc), OrderReservationMade)
    too_early = order(town, service_line(fitting, datetime(2026, 12, 7, 7, 30, tzinfo=UTC)))  # 8:30 in Berlin
    town.place(too_early)
    assert refusal(town, too_early).reason == "offer_unavailable"


def test_an_hour_in_the_autumn_clock_change_night_is_an_hour() -> None:
    """2026-10-25, Europe/Berlin: 02:30+02:00 → 03:30+02:00 (02:30+01:00 on the clock) is one
    hour, though both ends read 02:30 on the town's wall clock."""
    town = Town()
    seller = merchants.Merchant(town.merchant_id, PROFILE, version=1)
    night = uuid4()
    hours = [TimeWindow(weekday=6, opens=time(0), closes=time(23, 59))]  # Sundays, all day
    town.add(str(night), offers.list_service(None, seller, night, OfferDetails("Nachtwache"), 4500, 60, hours))
    starts = datetime.fromisoformat("2026-10-25T02:30:00+02:00")
    placed = order(town, service_line(night, starts))
    assert placed.lines[0].slot is not None and placed.lines[0].slot.ends_at.isoformat() == "2026-10-25T03:30:00+02:00"
    (booked,) = town.place(placed)[str(night)]
    assert isinstance(booked, OfferSlotBooked) and isinstance(answer(town, placed), OrderReservationMade)


def test_a_slot_outside_the_weekly_hours_is_refused() -> None:
    town = Town()
    fitting = town.service()
    outside = {
        "over the lunch break": service_line(fitting, at(11, 30)),
        "after closing": service_line(fitting, at(17, 30)),
        "a Tuesday": service_line(fitting, at(10, days=1)),
        "past midnight": service_line(fitting, at(23, 30, days=5), minutes=60),
        "a Saturday until midnight": service_line(fitting, at(23, days=5)),
    }
    for why, line in outside.items():
        placed = order(town, line)
        town.place(placed)
        refused = refusal(town, placed)
        assert (refused.reason, refused.offer_id) == ("offer_unavailable", fitting), why
        assert "not bookable at that time" in refused.detail
    assert town.offer(fitting).bookings == {}


def test_a_slot_held_by_another_order_is_refused_as_taken_also_when_it_overlaps() -> None:
    town = Town()
    fitting = town.service()
    first = order(town, service_line(fitting, at(10)))
    town.place(first)
    for starts in (at(10), at(10, 30), at(9, 30)):
        rival = order(town, service_line(fitting, starts))
        town.place(rival)
        assert (refusal(town, rival).reason, refusal(town, rival).offer_id) == ("slot_taken", fitting)
    after = order(town, service_line(fitting, at(11)))  # right after the first: free
    town.place(after)
    assert isinstance(answer(town, after), OrderReservationMade)
    assert {order_id for order_id, _ in town.offer(fitting).bookings} == {first.order_id, after.order_id}


def test_one_order_may_book_two_sessions_of_a_service_but_not_overlapping_ones() -> None:
    town = Town()
    fitting = town.service()
    two = order(town, service_line(fitting, at(9)), service_line(fitting, at(15)))
    booked = town.place(two)[str(fitting)]
    assert [event.slot.starts_at for event in booked if isinstance(event, OfferSlotBooked)] == [at(9), at(15)]
    assert len(town.offer(fitting).bookings) == 2
    rival = order(town, service_line(fitting, at(9)))  # the first session stays held
    town.place(rival)
    assert refusal(town, rival).reason == "slot_taken"
    overlapping = order(town, service_line(fitting, at(10)), service_line(fitting, at(10, 30)))
    town.place(overlapping)
    assert refusal(town, overlapping).reason == "slot_taken"
    assert len(town.offer(fitting).bookings) == 2


# --- what the catalog cannot sell ---------------------------------------------------------


def test_an_offer_withdrawn_unknown_of_another_shop_or_of_another_kind_is_unavailable() -> None:
    town = Town()
    withdrawn = town.product(stock=3)
    town.add(str(withdrawn), [OfferWithdrawn(offer_id=withdrawn, merchant_id=town.merchant_id, kind="product")])
    elsewhere = town.product(stock=3, merchant_id=uuid4())
    fitting = town.service()
    as_product = product_line(fitting)
    for line in (product_line(withdrawn), product_line(uuid4()), product_line(elsewhere), as_product):
        placed = order(town, product_line(town.product(stock=2)), line)
        town.place(placed)
        refused = refusal(town, placed)
        assert (refused.reason, refused.offer_id) == ("offer_unavailable", line.offer_id)
    assert town.offer(elsewhere).stock == 3


def test_a_closed_suspended_or_unknown_shop_takes_no_orders() -> None:
    town = Town()
    bell = town.product(stock=3)
    town.add(str(town.merchant_id), [MerchantClosed(merchant_id=town.merchant_id, note="Urlaub")])
    closed = order(town, product_line(bell))
    town.place(closed)
    assert refusal(town, closed).reason == "merchant_unavailable"
    assert "closed" in refusal(town, closed).detail

    other = Town()
    lamp = other.product(stock=3)
    other.add(str(other.merchant_id), [MerchantSuspended(merchant_id=other.merchant_id, reason="Beschwerden")])
    suspended = order(other, product_line(lamp))
    other.place(suspended)
    assert "suspended" in refusal(other, suspended).detail
    unknown = order(other, product_line(lamp), merchant_id=uuid4())
    other.place(unknown)
    assert refusal(other, unknown).reason == "merchant_unavailable"
    assert town.offer(bell).stock == 3 and other.offer(lamp).stock == 3


# --- once --------------------------------------------------------------------------------


def test_a_redelivered_or_repeated_order_is_answered_once() -> None:
    town = Town()
    bell = town.product(stock=5)
    placed = order(town, product_line(bell, 2))
    town.place(placed)
    assert town.place(placed) == {}
    assert town.place(placed.model_copy()) == {}  # the relay sent it twice: the same order id
    assert town.offer(bell).stock == 3
    refused = order(town, product_line(bell, 9))
    town.place(refused)
    assert town.place(refused) == {}


def test_an_ending_gives_stock_and_slots_back_once() -> None:
    town = Town()
    bell, fitting = town.product(stock=4), town.service()
    placed = order(town, product_line(bell, 3), service_line(fitting, at(10)))
    town.place(placed)

    decision = town.end(placed.order_id)

    (returned,) = decision[str(bell)]
    assert isinstance(returned, OfferStockAdjusted) and (returned.delta, returned.stock) == (3, 4)
    (released,) = decision[str(fitting)]
    assert isinstance(released, OfferSlotReleased) and released.slot.starts_at == at(10)
    assert [type(e) for e in town.streams[str(reservations.reservation_id_for(placed.order_id))]] == [
        OrderReservationMade,
        OrderStockTaken,
        OrderReservationReleased,
    ]
    assert town.end(placed.order_id) == {}  # the ending came twice, or cancelled after rejected
    assert town.offer(bell).stock == 4 and town.offer(fitting).bookings == {}
    again = order(town, service_line(fitting, at(10)))  # the slot is free for someone else
    town.place(again)
    assert isinstance(answer(town, again), OrderReservationMade)


def test_an_ending_of_an_order_refused_or_never_reserved_does_nothing() -> None:
    town = Town()
    bell = town.product(stock=1)
    refused = order(town, product_line(bell, 2))
    town.place(refused)
    assert town.end(refused.order_id) == {}
    assert town.end(uuid4()) == {}
    assert town.offer(bell).stock == 1


def test_stock_sold_uncounted_is_not_given_back_when_the_shop_began_counting_meanwhile() -> None:
    town = Town()
    bread = town.product(stock=None)
    placed = order(town, product_line(bread, 2))
    town.place(placed)
    town.add(str(bread), offers.adjust_stock(town.offer(bread), town.merchant_id, 7, "gezählt"))
    decision = town.end(placed.order_id)
    assert str(bread) not in decision
    assert town.offer(bread).stock == 7


def test_a_reservation_made_before_the_taken_stock_was_recorded_gives_its_counted_lines_back() -> None:
    town = Town()
    bell = town.product(stock=4)
    placed = order(town, product_line(bell, 3))
    town.place(placed)
    stream = town.streams[str(reservations.reservation_id_for(placed.order_id))]
    stream[:] = [event for event in stream if not isinstance(event, OrderStockTaken)]  # as the first release wrote
    (returned,) = town.end(placed.order_id)[str(bell)]
    assert isinstance(returned, OfferStockAdjusted) and (returned.delta, returned.stock) == (3, 4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["order", "end"]), st.integers(1, 4), st.integers(0, 5)), max_size=30))
def test_stock_never_goes_below_zero_and_what_is_held_plus_what_is_left_is_the_stock(
    steps: list[tuple[str, int, int]],
) -> None:
    town = Town()
    bell = town.product(stock=6)
    placed: list[OrderPlaced] = []
    for step, quantity, which in steps:
        if step == "order":
            placed.append(order(town, product_line(bell, quantity)))
            town.place(placed[-1])
        elif placed:
            town.end(placed[which % len(placed)].order_id)
        held = 0
        for each in placed:
            reservation = town.reservation(each.order_id)
            if reservation is not None and reservation.made and not reservation.released:
                held += sum(line.quantity for line in reservation.lines)
        stock = town.offer(bell).stock
        assert stock is not None and stock >= 0
        assert stock + held == 6
