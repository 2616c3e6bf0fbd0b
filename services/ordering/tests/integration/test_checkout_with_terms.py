# SPDX-License-Identifier: AGPL-3.0-or-later
"""Checkout delivers on dispatch's published terms, on the real broker and databases (catalog,
vouchers and ordering running; dispatch played by the test, which publishes the town's terms
on ``<town>.dispatch.events`` as dispatch would).

A door outside every zone and a slot in the past are refused with what to do, and nothing is
written; a checkout of two shops is one delivery, in one slot, for one fee on one order; a
town round, as the basket's quote lists it, is delivered for its own cheaper fee."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from conftest import KAFKA, Databases, ordering_town_running
from downtown_events.dispatch import DeliveryTermsSet, DeliveryZoneTerms, FeeRuleTerms, SlotTerms
from downtown_events.envelope import CloudEvent
from downtown_events.geo import GeoPoint
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.topics import events_topic
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import GuestBasket, Shop, check_out, open_basket, open_shop, put, town_rows
from tests.support.polling import wait_until

pytestmark = pytest.mark.integration

SHOP = {"lat": 52.10, "lon": 7.23}
OTHER_SHOP = {"lat": 52.11, "lon": 7.24}
DOOR = {"lat": 52.105, "lon": 7.235}
FAR_AWAY = {"lat": 53.5, "lon": 10.0}
TOWN_FEE, ROUND_FEE = 390, 150
CENTRE = [
    GeoPoint(lat=52.0, lon=7.1),
    GeoPoint(lat=52.0, lon=7.4),
    GeoPoint(lat=52.2, lon=7.4),
    GeoPoint(lat=52.2, lon=7.1),
]


def terms() -> DeliveryTermsSet:
    """Every day: the couriers' slots from six to ten and ten to eight, and an early town round
    (five to six) for less; the town's centre drawn on the map, or the postal code 48624."""
    standard = [
        SlotTerms(weekday=day, starts=starts, ends=ends, capacity=100)
        for day in range(7)
        for starts, ends in ((time(6), time(10)), (time(10), time(20)))
    ]
    rounds = [
        SlotTerms(
            weekday=day,
            starts=time(5),
            ends=time(6),
            capacity=100,
            kind="town_round",
            label="Stadtrunde",
            fee=FeeRuleTerms(pricing="flat", cents=ROUND_FEE),
        )
        for day in range(7)
    ]
    return DeliveryTermsSet(
        terms_id=uuid4(),
        courier_service_id=uuid4(),
        zones=[DeliveryZoneTerms(zone_id=uuid4(), name="Schöppingen", polygon=CENTRE, postal_codes=["48624"])],
        fee=FeeRuleTerms(pricing="flat", cents=TOWN_FEE),
        slots=standard + rounds,
        lead_minutes=30,
    )


async def _publish(town: RunningTown, published: DeliveryTermsSet) -> None:
    """As dispatch's relay publishes the terms: on its topic, keyed by the terms' stream."""
    producer = reliable_producer(KAFKA, client_id="test-dispatch-terms")
    await producer.start()
    try:
        envelope = CloudEvent(
            id=str(uuid4()),
            source="/dispatch",
            type=published.ce_type(),
            subject=str(published.terms_id),
            time=datetime.now(UTC),
            town=town.town,
            streamversion=1,
            data=published.model_dump_json().encode(),
        )
        key, value, headers = envelope.to_kafka()
        await producer.send_and_wait(events_topic(town.town, "dispatch"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()


@pytest.fixture(scope="module")
def terms_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    with ordering_town_running(databases, tmp_path_factory.mktemp("terms-town"), mailbox) as town:
        asyncio.run(_publish(town, terms()))
        wait_until(
            lambda: bool(town_rows(town, "SELECT 1 FROM ordering_delivery_terms")),
            seconds=30,
            what="ordering hearing of dispatch's terms",
        )
        yield town


def shop(town: RunningTown, name: str, location: dict[str, float] = SHOP) -> Shop:
    return open_shop(town, name, {"Honig": ("8,00", 5)}, location=location)


def filled(town: RunningTown, *shops: Shop) -> GuestBasket:
    basket = open_basket(town)
    for each in shops:
        assert put(town, basket, each.offers["Honig"], 1).status_code == 200
    return basket


def delivery(pin: dict[str, float] | None = DOOR, postal_code: str = "48624", **slot: str) -> dict[str, Any]:
    address: dict[str, Any] = {"street": "Am Markt 1", "postal_code": postal_code, "city": "Schöppingen"}
    fulfilment: dict[str, Any] = {"method": "delivery", "address": address | ({"pin": pin} if pin else {})}
    if slot:
        fulfilment["delivery_slot"] = slot
    return {"fulfilment": fulfilment, "payment": {"method": "cash_at_door"}}


def nothing_written(town: RunningTown, basket: GuestBasket, *shops: Shop) -> bool:
    placed = town_rows(
        town,
        "SELECT count(*) AS n FROM events WHERE event_type = 'downtown.ordering.OrderPlaced' "
        "AND data->>'merchant_id' = ANY(%s)",
        ([each.merchant_id for each in shops],),
    )
    checked_out = town_rows(
        town,
        "SELECT count(*) AS n FROM events WHERE stream_id = %s AND event_type LIKE %s",
        (basket.basket_id, "%BasketCheckedOut"),
    )
    return placed[0]["n"] == 0 and checked_out[0]["n"] == 0


def courier_quote(town: RunningTown, basket: GuestBasket) -> dict[str, Any]:
    """The basket's one delivery as its quote shows it, to the door in 48624."""
    quote = httpx.get(
        f"{town['ordering'].api}/baskets/{basket.basket_id}/quote",
        params={"postal_code": "48624", **DOOR},
        headers=basket.headers,
    )
    assert quote.status_code == 200, quote.text
    courier: dict[str, Any] = quote.json()["courier"]
    return courier


def bookable(courier: dict[str, Any]) -> list[dict[str, Any]]:
    """The quoted slots still bookable a while from now (the lead time is 30 minutes): a
    checkout a moment after the quote never finds its slot just become too soon."""
    later = datetime.now(UTC) + timedelta(minutes=35)
    return [slot for slot in courier["slots"] if datetime.fromisoformat(slot["starts_at"]) >= later]


def test_a_door_outside_every_zone_is_refused_and_nothing_is_written(terms_town: RunningTown) -> None:
    town = terms_town
    honey = shop(town, "Imkerei Sommer")
    basket = filled(town, honey)

    answer = check_out(town, basket, {honey.merchant_id: delivery(FAR_AWAY, postal_code="20095")})

    assert answer.status_code == 422, answer.text
    assert "check the postal code" in answer.json()["detail"] and "pick up at the shop" in answer.json()["detail"]
    assert nothing_written(town, basket, honey)


def test_a_slot_in_the_past_is_refused_and_nothing_is_written(terms_town: RunningTown) -> None:
    town = terms_town
    honey = shop(town, "Imkerei Winter")
    basket = filled(town, honey)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)

    answer = check_out(town, basket, {honey.merchant_id: delivery(starts_at=yesterday.isoformat())})

    assert answer.status_code == 422, answer.text
    assert "in the past" in answer.json()["detail"]
    assert nothing_written(town, basket, honey)


def test_two_shops_are_one_delivery_in_one_slot_for_one_fee(terms_town: RunningTown) -> None:
    town = terms_town
    first, second = shop(town, "Hofladen Brüning"), shop(town, "Honig Hemsing", OTHER_SHOP)
    basket = filled(town, first, second)

    standard = next(slot for slot in bookable(courier_quote(town, basket)) if not slot["town_round"])

    answer = check_out(
        town,
        basket,
        {first.merchant_id: delivery(starts_at=standard["starts_at"]), second.merchant_id: delivery()},
    )

    assert answer.status_code == 201, answer.text
    orders = {order["merchant_id"]: order for order in answer.json()["orders"]}
    # the basket's first shop's order carries the one fee
    assert (orders[first.merchant_id]["delivery_fee_cents"], orders[second.merchant_id]["delivery_fee_cents"]) == (
        TOWN_FEE,
        0,
    )
    slots = {(order["delivery_slot"]["starts_at"], order["delivery_slot"]["ends_at"]) for order in orders.values()}
    assert len(slots) == 1 and all(order["delivery_zone"] == "Schöppingen" for order in orders.values())
    assert datetime.fromisoformat(next(iter(slots))[0]) == datetime.fromisoformat(standard["starts_at"])
    assert sum(order["total_cents"] for order in orders.values()) == 2 * 800 + TOWN_FEE
    pins = town_rows(
        town,
        "SELECT data->'delivery_pin' AS pin FROM events WHERE event_type LIKE %s AND data->>'checkout_id' = %s",
        ("%OrderCustomerRecorded", answer.json()["checkout_id"]),
    )
    assert [row["pin"] for row in pins] == [DOOR, DOOR]


def test_a_town_round_the_quote_lists_is_delivered_for_its_own_fee(terms_town: RunningTown) -> None:
    town = terms_town
    honey = shop(town, "Imkerei Herbst")
    basket = filled(town, honey)
    courier = courier_quote(town, basket)
    assert courier["zone"] == "Schöppingen" and courier["fee_cents"] in (TOWN_FEE, ROUND_FEE)
    town_round = next(slot for slot in bookable(courier) if slot["town_round"])
    assert (town_round["label"], town_round["fee_cents"]) == ("Stadtrunde", ROUND_FEE)

    answer = check_out(town, basket, {honey.merchant_id: delivery(slot_id=town_round["slot_id"])})

    assert answer.status_code == 201, answer.text
    (placed,) = answer.json()["orders"]
    assert placed["delivery_fee_cents"] == ROUND_FEE and placed["total_cents"] == 800 + ROUND_FEE
    assert datetime.fromisoformat(placed["delivery_slot"]["starts_at"]) == datetime.fromisoformat(
        town_round["starts_at"]
    )
