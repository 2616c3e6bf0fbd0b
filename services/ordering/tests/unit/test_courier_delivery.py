# SPDX-License-Identifier: AGPL-3.0-or-later
"""Checkout on dispatch's published terms: the door's zone, the slot, and one fee per checkout."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime, time, timedelta
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from downtown_events.catalog import Address, TimeWindow
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import DeliveryTermsSet, DeliveryZoneTerms, FeeRuleTerms, SlotTerms
from downtown_events.geo import GeoPoint
from downtown_events.ordering import OrderPlaced, TimeSlot
from ordering.api.problems import ORDERING_PROBLEMS
from ordering.api.schemas import MerchantChoiceIn
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
from ordering.domain.courier_delivery import SlotRequest, bookable_slots, choose_slot, next_slots
from ordering.domain.errors import DeliverySlotRefused, InvalidChange
from ordering.domain.facts import MerchantFacts, OfferFacts, TownSettings
from ordering.domain.private_events import OrderCustomerRecorded
from ordering.domain.quote import Quote, QuoteFacts, quote

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)  # a Monday
SETTINGS = TownSettings(timezone=BERLIN, delivery_fees_cents={"48624": 390})
HOURS = tuple(TimeWindow(weekday=day, opens=time(8), closes=time(18)) for day in range(6))
WINE = MerchantFacts(
    uuid4(), "Weinhandlung Hemsing", offers_delivery=True, opening_hours=HOURS, location=GeoPoint(lat=52.0, lon=7.0)
)
BOOKS = MerchantFacts(
    uuid4(), "Buchhandlung Lesezeit", offers_delivery=True, opening_hours=HOURS, location=GeoPoint(lat=52.0, lon=7.02)
)
RIESLING = OfferFacts(uuid4(), WINE.merchant_id, "product", "Riesling", 1290)
NOVEL = OfferFacts(uuid4(), BOOKS.merchant_id, "product", "Roman", 2000)
OFFERS = {offer.offer_id: offer for offer in (RIESLING, NOVEL)}
MERCHANTS = {merchant.merchant_id: merchant for merchant in (WINE, BOOKS)}
CENTRE = [GeoPoint(lat=51.99, lon=6.99), GeoPoint(lat=51.99, lon=7.03), GeoPoint(lat=52.02, lon=7.03)]
DOOR = GeoPoint(lat=52.0, lon=7.01)  # inside the centre, 0.69 km from either shop
ADDRESS = {"street": "Hauptstraße 1", "postal_code": "48624", "city": "Schöppingen"}
HOME = Address.model_validate(ADDRESS)
WINDOW = TimeSlot(starts_at=NOW.replace(hour=11), ends_at=NOW.replace(hour=11, minute=30))
GUEST = CustomerDetails(name="Anna", email="anna@example.de", guest_token_hash=hashlib.sha256(b"g").hexdigest())
TUESDAY = SlotTerms(weekday=1, starts=time(16), ends=time(18), capacity=10)
ROUND = SlotTerms(
    weekday=3,
    starts=time(9),
    ends=time(12),
    capacity=40,
    kind="town_round",
    label="Donnerstagsrunde",
    fee=FeeRuleTerms(pricing="flat", cents=150),
)


def terms(**changes: object) -> DeliveryTermsSet:
    fields: dict[str, object] = {
        "terms_id": uuid4(),
        "courier_service_id": uuid4(),
        "zones": [DeliveryZoneTerms(zone_id=uuid4(), name="Innenstadt", polygon=CENTRE)],
        "fee": FeeRuleTerms(pricing="distance", base_cents=300, per_km_cents=100, cap_cents=900),
        "slots": [TUESDAY, ROUND],
        "lead_minutes": 120,
    }
    return DeliveryTermsSet.model_validate(fields | changes)


TERMS = terms()


def filled(*offers: OfferFacts) -> basket.Basket:
    history: list[IntegrationEvent] = basket.open_basket(
        None, basket_id=uuid4(), access_token_hash=hashlib.sha256(b"b").hexdigest(), now=NOW
    )
    for offer in offers:
        history += basket.put(
            basket.replay(history),
            offer_id=offer.offer_id,
            merchant_id=offer.merchant_id,
            kind=offer.kind,
            title=offer.title,
            quantity=1,
            unit_price_cents=offer.price_cents,
            slot=None,
        )
    state = basket.replay(history)
    assert state is not None
    return state


def delivery(pin: GeoPoint | None = DOOR, slot: SlotRequest | None = None, address: Address = HOME) -> MerchantChoice:
    return MerchantChoice(DeliveryChoice(address, pin=pin, slot=slot), PaymentChoice("cash_at_door"))


def checkout(
    choices: dict[UUID, MerchantChoice], *, offers: tuple[OfferFacts, ...] = (RIESLING, NOVEL), **overrides: object
) -> CheckoutDecision:
    fields: dict[str, object] = dict(
        checkout_id=uuid4(),
        customer=GUEST,
        choices=choices,
        offers=OFFERS,
        merchants=MERCHANTS,
        settings=SETTINGS,
        now=NOW,
        terms=TERMS,
    )
    return check_out(filled(*offers), **{**fields, **overrides})  # type: ignore[arg-type]


def placed(decision: CheckoutDecision) -> list[OrderPlaced]:
    return [order.placed for order in decision.orders]


def test_two_shops_deliver_in_one_slot_for_one_fee_carried_by_the_first_order() -> None:
    decision = checkout({WINE.merchant_id: delivery(), BOOKS.merchant_id: delivery()})

    wine, books = placed(decision)
    tuesday = TimeSlot(
        starts_at=datetime(2026, 3, 3, 16, tzinfo=BERLIN), ends_at=datetime(2026, 3, 3, 18, tzinfo=BERLIN)
    )
    assert wine.fulfilment.delivery_slot == books.fulfilment.delivery_slot == tuesday
    assert (wine.fulfilment.delivery_zone, books.fulfilment.delivery_zone) == ("Innenstadt", "Innenstadt")
    # by distance from the farther shop (books, 0.69 km from the door): 300 + 69
    assert (wine.fulfilment.delivery_fee_cents, books.fulfilment.delivery_fee_cents) == (369, 0)
    assert (wine.total_cents, books.total_cents) == (1290 + 369, 2000)
    records = [event for order in decision.orders for event in order.events if isinstance(event, OrderCustomerRecorded)]
    assert [record.delivery_pin for record in records] == [DOOR, DOOR]


def test_a_town_round_is_priced_by_its_own_rule() -> None:
    decision = checkout(
        {WINE.merchant_id: delivery(slot=SlotRequest(slot_id="town_round:20260305T0800Z"))}, offers=(RIESLING,)
    )

    (wine,) = placed(decision)
    assert wine.fulfilment.delivery_fee_cents == 150
    assert wine.fulfilment.delivery_slot is not None
    assert wine.fulfilment.delivery_slot.starts_at == datetime(2026, 3, 5, 9, tzinfo=BERLIN)


def test_a_slot_named_by_its_start_is_the_same_slot() -> None:
    starts_at = datetime(2026, 3, 5, 9, tzinfo=BERLIN)
    decision = checkout({WINE.merchant_id: delivery(slot=SlotRequest(starts_at=starts_at))}, offers=(RIESLING,))

    assert placed(decision)[0].fulfilment.delivery_fee_cents == 150


def test_the_goods_of_the_delivery_orders_count_for_free_delivery() -> None:
    generous = terms(fee=FeeRuleTerms(pricing="flat", cents=390, free_above_cents=3000))

    both = checkout({WINE.merchant_id: delivery(), BOOKS.merchant_id: delivery()}, terms=generous)
    one = checkout(
        {
            WINE.merchant_id: delivery(),
            BOOKS.merchant_id: MerchantChoice(PickupChoice(WINDOW), PaymentChoice("at_pickup")),
        },
        terms=generous,
    )

    assert [order.fulfilment.delivery_fee_cents for order in placed(both)] == [0, 0]  # 32,90 € of goods
    wine, books = placed(one)
    assert (wine.fulfilment.delivery_fee_cents, books.fulfilment.method) == (390, "pickup")


@pytest.mark.parametrize(
    ("pin", "says"),
    [
        (GeoPoint(lat=53.0, lon=8.0), "48624: check the postal code, or pick up at the shop instead"),
        (None, "48624: check the postal code; set the pin on the map, or pick up at the shop instead"),
    ],
)
def test_a_door_outside_every_zone_is_refused_with_what_to_do(pin: GeoPoint | None, says: str) -> None:
    with pytest.raises(InvalidChange, match=says):
        checkout({WINE.merchant_id: delivery(pin)}, offers=(RIESLING,))


def test_a_postal_code_zone_takes_a_door_without_a_pin_unless_the_fee_is_by_distance() -> None:
    by_code = [DeliveryZoneTerms(zone_id=uuid4(), name="Schöppingen", postal_codes=["48624"])]
    flat = terms(zones=by_code, fee=FeeRuleTerms(pricing="flat", cents=390))

    decision = checkout({WINE.merchant_id: delivery(None)}, offers=(RIESLING,), terms=flat)

    assert placed(decision)[0].fulfilment.delivery_zone == "Schöppingen"
    with pytest.raises(InvalidChange, match="set the delivery address's pin"):
        checkout({WINE.merchant_id: delivery(None)}, offers=(RIESLING,), terms=terms(zones=by_code))


@pytest.mark.parametrize(
    ("slot", "says"),
    [
        (SlotRequest(slot_id="standard:20260224T1500Z"), "in the past"),
        (SlotRequest(starts_at=datetime(2026, 3, 2, 7, tzinfo=BERLIN)), "in the past"),
        (SlotRequest(slot_id="standard:20260303T1600Z"), "do not offer that delivery slot"),
        (SlotRequest(slot_id="nonsense"), "do not offer that delivery slot"),
        (SlotRequest(starts_at=datetime(2026, 3, 3, 17, tzinfo=BERLIN)), "do not offer that delivery slot"),
    ],
)
def test_a_slot_in_the_past_or_not_offered_is_refused(slot: SlotRequest, says: str) -> None:
    with pytest.raises(DeliverySlotRefused, match=says):
        checkout({WINE.merchant_id: delivery(slot=slot)}, offers=(RIESLING,))


def test_a_refused_slot_is_a_problem_of_the_slot_field_so_a_page_says_it_beside_the_slots() -> None:
    answer = next(rule for rule in ORDERING_PROBLEMS if rule.error is DeliverySlotRefused).answer(
        DeliverySlotRefused("the delivery slot starts too soon: the shops need 120 minutes to pack; choose a later one")
    )
    problem = json.loads(bytes(answer.body))
    assert answer.status_code == 422 and problem["title"] == "Delivery slot not available"
    assert problem["errors"] == [{"field": "delivery_slot", "reason": problem["detail"]}]


def test_a_slot_starting_within_the_lead_time_is_too_soon() -> None:
    now = datetime(2026, 3, 3, 15, tzinfo=BERLIN)  # Tuesday, an hour before its slot; the shops need two

    with pytest.raises(DeliverySlotRefused, match="too soon: the shops need 120 minutes"):
        checkout(
            {WINE.merchant_id: delivery(slot=SlotRequest(slot_id="standard:20260303T1500Z"))},
            offers=(RIESLING,),
            now=now,
        )
    unnamed = checkout({WINE.merchant_id: delivery()}, offers=(RIESLING,), now=now)
    slot = placed(unnamed)[0].fulfilment.delivery_slot
    assert slot is not None and slot.starts_at == datetime(2026, 3, 5, 9, tzinfo=BERLIN)


def test_the_shops_of_one_checkout_deliver_to_one_door_in_one_slot() -> None:
    elsewhere = HOME.model_copy(update={"street": "Marktplatz 5"})
    with pytest.raises(InvalidChange, match="same delivery address and pin"):
        checkout({WINE.merchant_id: delivery(), BOOKS.merchant_id: delivery(address=elsewhere)})
    with pytest.raises(DeliverySlotRefused, match="choose one delivery slot for every shop"):
        checkout(
            {
                WINE.merchant_id: delivery(slot=SlotRequest(slot_id="standard:20260303T1500Z")),
                BOOKS.merchant_id: delivery(slot=SlotRequest(slot_id="town_round:20260305T0800Z")),
            }
        )
    named_once = checkout(
        {
            WINE.merchant_id: delivery(),
            BOOKS.merchant_id: delivery(slot=SlotRequest(slot_id="town_round:20260305T0800Z")),
        }
    )
    assert {order.fulfilment.delivery_slot for order in placed(named_once)} == {
        TimeSlot(starts_at=datetime(2026, 3, 5, 9, tzinfo=BERLIN), ends_at=datetime(2026, 3, 5, 12, tzinfo=BERLIN))
    }


def test_a_shop_not_on_the_map_cannot_be_fetched_from() -> None:
    merchants = {**MERCHANTS, BOOKS.merchant_id: replace(BOOKS, location=None)}

    with pytest.raises(InvalidChange, match="Buchhandlung Lesezeit has not put its shop on the map"):
        checkout({WINE.merchant_id: delivery(), BOOKS.merchant_id: delivery()}, merchants=merchants)


def test_without_terms_the_settings_zones_decide_as_before() -> None:
    decision = checkout({WINE.merchant_id: delivery(), BOOKS.merchant_id: delivery()}, terms=None)

    assert [(o.fulfilment.delivery_zone, o.fulfilment.delivery_fee_cents) for o in placed(decision)] == [
        ("48624", 390),
        ("48624", 390),
    ]
    assert all(order.fulfilment.delivery_slot is None for order in placed(decision))


def test_the_slots_shown_are_bookable_and_include_the_next_town_round() -> None:
    shown = next_slots(TERMS, SETTINGS, NOW, 1)

    assert [(slot.kind, slot.starts_at.astimezone(BERLIN).day) for slot in shown] == [
        ("standard", 3),
        ("town_round", 5),
    ]
    assert choose_slot(TERMS, None, SETTINGS, NOW) == bookable_slots(TERMS, SETTINGS, NOW)[0] == shown[0]


def test_a_slot_request_names_a_slot_one_way() -> None:
    with pytest.raises(InvalidChange, match="one of them"):
        SlotRequest()
    with pytest.raises(InvalidChange, match="offset"):
        SlotRequest(starts_at=datetime(2026, 3, 5, 9))
    assert SlotRequest(slot_id="standard:20261399T9999Z").start() is None


def test_no_slot_in_the_coming_days_says_to_pick_up() -> None:
    short = replace(SETTINGS, pickup_horizon=timedelta(hours=1))

    with pytest.raises(InvalidChange, match="no delivery slot in the coming days; pick up at the shop instead"):
        checkout({WINE.merchant_id: delivery()}, offers=(RIESLING,), settings=short)


@pytest.mark.parametrize(
    "pin", [{"lat": float("nan"), "lon": 7.0}, {"lat": 91, "lon": 7.0}, {"lat": 52, "lon": "inf"}, {"lat": 52}]
)
def test_a_pin_off_the_earth_is_refused_at_the_door(pin: dict[str, object]) -> None:
    body = {
        "fulfilment": {"method": "delivery", "address": {**ADDRESS, "pin": pin}},
        "payment": {"method": "cash_at_door"},
    }
    with pytest.raises(ValidationError):
        MerchantChoiceIn.model_validate(body)


def test_a_checkout_request_carries_the_pin_and_the_slot_into_the_choice() -> None:
    fulfilment: dict[str, object] = {
        "method": "delivery",
        "address": {**ADDRESS, "pin": {"lat": 52.0, "lon": 7.01}},
        "delivery_slot": {"slot_id": "town_round:20260305T0800Z"},
    }
    body: dict[str, object] = {"fulfilment": fulfilment, "payment": {"method": "cash_at_door"}}

    choice = MerchantChoiceIn.model_validate(body).choice().fulfilment

    assert isinstance(choice, DeliveryChoice)
    assert (choice.pin, choice.slot) == (DOOR, SlotRequest(slot_id="town_round:20260305T0800Z"))
    with pytest.raises(ValidationError, match="one of them"):
        MerchantChoiceIn.model_validate(body | {"fulfilment": fulfilment | {"delivery_slot": {}}})


def quoted(postal_code: str | None = "48624", pin: GeoPoint | None = DOOR, **changes: object) -> Quote:
    fields: dict[str, object] = {"postal_code": postal_code, "terms": TERMS, "pin": pin} | changes
    return quote(
        filled(RIESLING, NOVEL),
        QuoteFacts(OFFERS, MERCHANTS, {}, {}),
        SETTINGS,
        NOW,
        days=[NOW.date()],
        **fields,  # type: ignore[arg-type]
    )


def test_a_quote_shows_the_one_delivery_its_fee_on_the_first_shop_and_the_next_slots() -> None:
    result = quoted()

    wine, books = result.shops
    assert (wine.delivery.possible, wine.delivery.zone, wine.delivery.fee_cents) == (True, "Innenstadt", 369)
    assert (books.delivery.possible, books.delivery.fee_cents) == (True, 0)
    assert result.delivery_cents == 369
    courier = result.courier
    assert courier is not None and courier.zone is not None and courier.fee_cents == 369
    assert [(offer.slot.slot_id, offer.fee_cents) for offer in courier.slots] == [
        ("standard:20260303T1500Z", 369),
        ("town_round:20260305T0800Z", 150),
        ("standard:20260310T1500Z", 369),
        ("town_round:20260312T0800Z", 150),
    ]


def test_a_quote_without_the_pin_says_the_fee_by_distance_is_not_known_yet() -> None:
    result = quoted(pin=None)

    courier = result.courier
    assert courier is not None and courier.zone is None and courier.fee_cents is None
    assert [offer.fee_cents for offer in courier.slots][:2] == [None, 150]  # the town round's is flat
    assert all(not shop.delivery.possible for shop in result.shops)
    assert [warning.code for warning in result.warnings] == ["no_delivery_here", "no_delivery_here"]


def test_a_quote_without_terms_is_as_before() -> None:
    result = quoted(terms=None, pin=None)

    assert result.courier is None
    assert [(shop.delivery.zone, shop.delivery.fee_cents) for shop in result.shops] == [("48624", 390)] * 2
