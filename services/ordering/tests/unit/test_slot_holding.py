# SPDX-License-Identifier: AGPL-3.0-or-later
"""Holding a service's time in a basket, through the shopping handlers on the in-memory
store: of two baskets racing for one time exactly one gets it; the line's removal or the
clock frees it; checkout refuses a time another basket holds or an order booked, writing
nothing; the quote tells the basket's owner all of it, in their language."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from downtown_events.catalog import TimeWindow
from downtown_events.ordering import TimeSlot
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.store import Append, ConcurrencyConflict, StoredEvent
from downtown_events.runtime.texts import Texts
from ordering.app.context import Context
from ordering.app.quotes import QuoteHandlers
from ordering.app.shopping import BasketKey, ShoppingHandlers
from ordering.domain.checkout import CustomerDetails, MerchantChoice, PaymentChoice, PickupChoice
from ordering.domain.errors import AlreadyCheckedOut, SlotUnavailable
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings
from ordering.domain.private_events import SlotHeld

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 3, 2)
SETTINGS = TownSettings(timezone=BERLIN, slot_hold=timedelta(minutes=10), delivery_fees_cents={"486": 390})
HOURS = tuple(TimeWindow(weekday=day, opens=time(9), closes=time(17)) for day in range(7))
SHOP = MerchantFacts(uuid4(), "Sprachschule Brink", opening_hours=HOURS, offers_delivery=True)
LESSON = OfferFacts(uuid4(), SHOP.merchant_id, "service", "Englischstunde", 3000, None, False, "", 60, HOURS)
TUESDAY_10 = TimeSlot(
    starts_at=datetime(2026, 3, 3, 10, 0, tzinfo=BERLIN), ends_at=datetime(2026, 3, 3, 11, 0, tzinfo=BERLIN)
)
PICKUP = MerchantChoice(PickupChoice(), PaymentChoice("at_pickup"))
ANNA = CustomerDetails(name="Anna Beispiel", email="anna@example.de")


class Replica:
    """The catalog as ordering's replica knows it: one shop, one service, bookings."""

    def __init__(self) -> None:
        self.booked: list[TimeSlot] = []

    async def offers(self, offer_ids: Iterable[UUID]) -> dict[UUID, OfferFacts]:
        return {LESSON.offer_id: LESSON} if LESSON.offer_id in set(offer_ids) else {}

    async def merchants(self, merchant_ids: Iterable[UUID]) -> dict[UUID, MerchantFacts]:
        return {SHOP.merchant_id: SHOP} if SHOP.merchant_id in set(merchant_ids) else {}

    async def facts(
        self, offer_ids: Iterable[UUID], merchant_ids: Iterable[UUID]
    ) -> tuple[dict[UUID, OfferFacts], dict[UUID, MerchantFacts]]:
        return await self.offers(offer_ids), await self.merchants(merchant_ids)

    async def booked_slots(
        self, offer_ids: Iterable[UUID], since: datetime, until: datetime
    ) -> dict[UUID, list[TimeSlot]]:
        found = [slot for slot in self.booked if slot.starts_at < until and slot.ends_at > since]
        return {LESSON.offer_id: found} if LESSON.offer_id in set(offer_ids) and found else {}

    async def tokens_valid_after(self, merchant_id: UUID) -> datetime | None:
        return None


class InterleavingStore(InMemoryEventStore):
    """Every read lets the other requests run: two puts read the same versions, as two
    requests on two connections would, and race to append."""

    def __init__(self) -> None:
        super().__init__()
        self.conflicts = 0

    async def read(self, stream_id: str) -> list[StoredEvent]:
        history = await super().read(stream_id)
        await asyncio.sleep(0)  # the answer is on its way while the rival reads too
        return history

    async def append_together(self, appends: Sequence[Append]) -> None:
        try:
            await super().append_together(appends)
        except ConcurrencyConflict:
            self.conflicts += 1
            raise


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def replica() -> Replica:
    return Replica()


@pytest.fixture
def store() -> InterleavingStore:
    return InterleavingStore()


@pytest.fixture
def context(store: InterleavingStore, clock: Clock) -> Context:
    return Context(store, SETTINGS, link_key=b"k" * 32, clock=clock, timezone=BERLIN)


@pytest.fixture
def shopping(context: Context, replica: Replica) -> ShoppingHandlers:
    return ShoppingHandlers(context, replica)


async def guest_basket(shopping: ShoppingHandlers) -> tuple[UUID, BasketKey]:
    opened = await shopping.open_basket(BasketKey())
    return opened.basket.basket_id, BasketKey(access_token=opened.access_token)


def holds_of(store: InMemoryEventStore) -> list[SlotHeld]:
    return [
        stored.event for events in store.streams.values() for stored in events if isinstance(stored.event, SlotHeld)
    ]


async def test_of_two_baskets_racing_for_one_time_exactly_one_gets_it(
    shopping: ShoppingHandlers, store: InterleavingStore
) -> None:
    baskets = [await guest_basket(shopping) for _ in range(2)]
    answers = await asyncio.gather(
        *(shopping.put(basket_id, key, LESSON.offer_id, 1, TUESDAY_10) for basket_id, key in baskets),
        return_exceptions=True,
    )
    assert store.conflicts == 1  # they did race: the loser's append met the winner's hold
    refused = [answer for answer in answers if isinstance(answer, SlotUnavailable)]
    assert len(refused) == 1 and refused[0].why == "held"
    winners = [answer for answer in answers if not isinstance(answer, BaseException)]
    assert len(winners) == 1 and [line.slot for line in winners[0].lines.values()] == [TUESDAY_10]
    assert [hold.basket_id for hold in holds_of(store)] == [winners[0].basket_id]
    loser = next(basket_id for basket_id, _ in baskets if basket_id != winners[0].basket_id)
    assert [stored.event for stored in store.streams[str(loser)]][1:] == []  # its basket was not written


async def test_the_time_is_free_again_when_the_line_is_taken_out(shopping: ShoppingHandlers) -> None:
    (a, key_a), (b, key_b) = await guest_basket(shopping), await guest_basket(shopping)
    basket = await shopping.put(a, key_a, LESSON.offer_id, 1, TUESDAY_10)
    with pytest.raises(SlotUnavailable):
        await shopping.put(b, key_b, LESSON.offer_id, 1, TUESDAY_10)
    (line_id,) = basket.lines
    await shopping.remove(a, key_a, line_id)
    assert [line.slot for line in (await shopping.put(b, key_b, LESSON.offer_id, 1, TUESDAY_10)).lines.values()] == [
        TUESDAY_10
    ]


async def test_a_hold_that_ran_out_lets_another_basket_take_the_time_and_then_refuses_the_first_checkout(
    shopping: ShoppingHandlers, store: InterleavingStore, clock: Clock
) -> None:
    (a, key_a), (b, key_b) = await guest_basket(shopping), await guest_basket(shopping)
    await shopping.put(a, key_a, LESSON.offer_id, 1, TUESDAY_10)
    clock.now += timedelta(minutes=10)
    await shopping.put(b, key_b, LESSON.offer_id, 1, TUESDAY_10)
    before = sum(len(events) for events in store.streams.values())
    with pytest.raises(SlotUnavailable) as refused:
        await shopping.check_out(a, key_a, ANNA, {SHOP.merchant_id: PICKUP}, None)
    assert refused.value.why == "held"
    assert sum(len(events) for events in store.streams.values()) == before  # nothing written
    done = await shopping.check_out(b, key_b, ANNA, {SHOP.merchant_id: PICKUP}, None)
    assert done.created and len(done.orders) == 1


async def test_a_time_an_order_booked_is_refused_at_put_and_at_checkout(
    shopping: ShoppingHandlers, replica: Replica
) -> None:
    a, key_a = await guest_basket(shopping)
    await shopping.put(a, key_a, LESSON.offer_id, 1, TUESDAY_10)
    replica.booked.append(TUESDAY_10)  # a merchant booked it for a customer who phoned
    with pytest.raises(SlotUnavailable) as at_checkout:
        await shopping.check_out(a, key_a, ANNA, {SHOP.merchant_id: PICKUP}, None)
    b, key_b = await guest_basket(shopping)
    with pytest.raises(SlotUnavailable) as at_put:
        await shopping.put(b, key_b, LESSON.offer_id, 1, TUESDAY_10)
    assert at_checkout.value.why == at_put.value.why == "booked"


async def test_the_quote_shows_the_hold_the_free_times_and_a_clash_in_the_customer_s_language(
    context: Context, shopping: ShoppingHandlers, replica: Replica, clock: Clock
) -> None:
    quotes = QuoteHandlers(context, replica, shopping, Texts("ordering", zone=BERLIN))
    a, key_a = await guest_basket(shopping)
    await shopping.put(a, key_a, LESSON.offer_id, 1, TUESDAY_10)
    quote = await quotes.quote(a, key_a, postal_code="48624", first_day=MONDAY + timedelta(days=1), days=1)
    (shop,) = quote.shops
    (line,) = shop.lines
    assert line.slot_status == "held" and line.held_until == clock.now + timedelta(minutes=10)
    assert TUESDAY_10 in shop.free_slots[LESSON.offer_id].slots  # its own hold is free to it
    assert (shop.delivery.possible, shop.delivery.zone, shop.delivery.fee_cents) == (True, "486", 390)
    assert quote.warnings == ()

    free = await quotes.free_slots(LESSON.offer_id, MONDAY + timedelta(days=1), 1)
    assert TUESDAY_10 not in free.slots and len(free.slots) == 7  # 09:00-17:00 but the held hour

    clock.now += timedelta(minutes=11)
    b, key_b = await guest_basket(shopping)
    await shopping.put(b, key_b, LESSON.offer_id, 1, TUESDAY_10)
    quote = await quotes.quote(a, key_a, postal_code=None, first_day=None, days=1)
    (warning,) = quote.warnings
    assert warning.code == "slot_held_elsewhere" and warning.line_id == line.line.line_id
    assert quotes.words("de")(warning) == (
        "Gerade bucht jemand anderes Englischstunde am 03.03.26, 10:00; bitte wählen Sie eine andere Zeit."
    )
    assert quotes.words("en")(warning).startswith("Another customer is booking Englischstunde at 3/3/26")


async def test_a_checked_out_basket_has_no_quote_any_more(
    context: Context, shopping: ShoppingHandlers, replica: Replica
) -> None:
    quotes = QuoteHandlers(context, replica, shopping, Texts("ordering", zone=BERLIN))
    a, key_a = await guest_basket(shopping)
    await shopping.put(a, key_a, LESSON.offer_id, 1, TUESDAY_10)
    done = await shopping.check_out(a, key_a, ANNA, {SHOP.merchant_id: PICKUP}, None)
    with pytest.raises(AlreadyCheckedOut) as refused:
        await quotes.quote(a, key_a, postal_code=None, first_day=None, days=1)
    assert refused.value.checkout_id == done.checkout_id
