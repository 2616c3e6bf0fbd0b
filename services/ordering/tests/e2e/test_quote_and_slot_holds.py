# SPDX-License-Identifier: AGPL-3.0-or-later
"""Costs and choices before checkout, on the real stack: a basket's quote (the delivery fee,
pickup windows, by when the shop answers, a service's free times and its held time), a time
held by one basket refused to another until the first lets it go, and a time booked
elsewhere meanwhile refusing the checkout cleanly."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from conftest import Databases, ordering_town_running
from downtown_events.runtime.clock_file import set_clock
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import (
    GuestBasket,
    Shop,
    check_out,
    guest,
    key,
    list_service,
    open_basket,
    open_shop,
    put,
    town_rows,
    town_time,
    wait_for,
)
from tests.support.polling import wait_until

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_8 = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN)
TUESDAY_10 = {"starts_at": "2026-03-03T10:00:00+01:00", "ends_at": "2026-03-03T11:00:00+01:00"}
MORNINGS = [{"weekday": day, "opens": "09:00", "closes": "12:00"} for day in range(7)]
SERVICES_ONLY = {"fulfilment": {"method": "pickup"}, "payment": {"method": "at_pickup"}}


def _shop_with_a_course(town: RunningTown, name: str) -> tuple[Shop, str]:
    shop = open_shop(town, name, {"Honig": ("6,50", 10)})
    course = list_service(town, shop, "Imkerkurs", "30,00", 60, MORNINGS)
    wait_until(
        lambda: town_rows(town, "SELECT 1 FROM ordering_offers WHERE offer_id = %s", (course,)),
        what="ordering hearing of the course",
    )
    return shop, course


def _free_starts(town: RunningTown, offer_id: str, day: date) -> list[str]:
    params: dict[str, str | int] = {"from": day.isoformat(), "days": 1}
    answer = httpx.get(f"{town['ordering'].api}/offers/{offer_id}/free-slots", params=params)
    assert answer.status_code == 200, answer.text
    return [slot["starts_at"] for slot in answer.json()["slots"]]


def _slot(days_from_now: int, hour: int) -> dict[str, str]:
    starts = town_time(days_from_now, hour)
    return {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=1)).isoformat()}


def _quote(town: RunningTown, basket: GuestBasket, **params: Any) -> dict[str, Any]:
    answer = httpx.get(
        f"{town['ordering'].api}/baskets/{basket.basket_id}/quote", params=params, headers=basket.headers
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _same_instant(one: str, other: str) -> bool:
    return datetime.fromisoformat(one) == datetime.fromisoformat(other)


def test_a_quote_before_checkout_shows_the_fee_the_pickup_windows_the_answer_time_and_the_free_slots(
    ordering_town: RunningTown,
) -> None:
    town = ordering_town
    shop, course = _shop_with_a_course(town, "Imkerei Quote")
    slot = _slot(3, 10)  # read once: a test running over midnight still means one day
    day = datetime.fromisoformat(slot["starts_at"]).date()
    free = _free_starts(town, course, day)
    assert [datetime.fromisoformat(start).hour for start in free] == [9, 10, 11]
    basket = open_basket(town)
    assert put(town, basket, shop.offers["Honig"], 2).status_code == 200
    held = put(town, basket, course, 1, slot)
    assert held.status_code == 200, held.text

    quote = _quote(town, basket, postal_code="48624", days=4, language="en")
    (quoted,) = quote["shops"]
    assert quoted["merchant_id"] == shop.merchant_id and quoted["taking_orders"]
    assert quoted["delivery"] == {"offered": True, "possible": True, "zone": "48624", "fee_cents": 390}
    assert quoted["pickup"]["possible"] and len(quoted["pickup"]["windows"]) >= 3  # open 08-20 every day
    assert datetime.fromisoformat(quoted["answer_by"]) > datetime.now(UTC)
    course_line = next(line for line in quoted["lines"] if line["offer_id"] == course)
    assert course_line["slot_status"] == "held" and course_line["held_until"]
    (slots,) = quoted["free_slots"]
    assert slots["offer_id"] == course and any(_same_instant(s["starts_at"], slot["starts_at"]) for s in slots["slots"])
    assert quote["warnings"] == []
    assert (quote["goods_cents"], quote["delivery_cents"], quote["total_cents"]) == (4300, 390, 4690)

    others = _free_starts(town, course, day)  # held for this basket, so not free to anyone else
    assert [datetime.fromisoformat(start).hour for start in others] == [9, 11]

    delivered = {
        "fulfilment": {
            "method": "delivery",
            "address": {"street": "Am Markt 1", "postal_code": "48624", "city": "Schöppingen"},
        },
        "payment": {"method": "cash_at_door"},
    }
    placed = check_out(town, basket, {shop.merchant_id: delivered})
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    assert order["total_cents"] == quote["total_cents"]
    # placed a moment after the quote: answered by then, or a moment later
    assert datetime.fromisoformat(order["merchant_answer_by"]) >= datetime.fromisoformat(quoted["answer_by"])


def test_a_time_held_by_one_basket_is_refused_to_another_until_the_first_takes_it_out(
    ordering_town: RunningTown,
) -> None:
    town = ordering_town
    shop, course = _shop_with_a_course(town, "Imkerei Halten")
    first, second = open_basket(town), open_basket(town)
    slot = _slot(4, 9)
    held = put(town, first, course, 1, slot)
    assert held.status_code == 200, held.text

    refused = put(town, second, course, 1, slot)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["clash"] == "held" and problem["offer_id"] == course and problem["detail"]
    assert _same_instant(problem["starts_at"], slot["starts_at"])
    after = httpx.get(f"{town['ordering'].api}/baskets/{second.basket_id}", headers=second.headers).json()
    assert after["lines"] == []  # the refused put wrote nothing

    (line,) = held.json()["lines"]
    removed = httpx.delete(
        f"{town['ordering'].api}/baskets/{first.basket_id}/lines/{line['line_id']}", headers=first.headers
    )
    assert removed.status_code == 200, removed.text
    taken = put(town, second, course, 1, slot)
    assert taken.status_code == 200, taken.text
    placed = check_out(town, second, {shop.merchant_id: SERVICES_ONLY})
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    wait_for(town, order["order_id"], guest(placed.json()["order_link_token"]), stock_reserved=True)

    again = put(town, first, course, 1, slot)  # held by the second, then booked by its order
    assert again.status_code == 409, again.text


def test_of_five_baskets_putting_one_time_in_at_once_exactly_one_holds_it(ordering_town: RunningTown) -> None:
    town = ordering_town
    _, course = _shop_with_a_course(town, "Imkerei Andrang")
    slot = _slot(6, 10)
    baskets = [open_basket(town) for _ in range(5)]
    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda basket: put(town, basket, course, 1, slot), baskets))
    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409, 409], [a.text for a in answers]
    assert all(answer.json()["clash"] == "held" for answer in answers if answer.status_code == 409)
    holds = town_rows(
        town,
        "SELECT count(*) AS n FROM events WHERE event_type = 'downtown.ordering.SlotHeld' AND data->>'offer_id' = %s",
        (course,),
    )
    assert holds[0]["n"] == 1  # one hold written, by the one basket that got the time


def test_a_time_booked_elsewhere_meanwhile_refuses_the_checkout_cleanly(ordering_town: RunningTown) -> None:
    town = ordering_town
    shop, course = _shop_with_a_course(town, "Imkerei Telefon")
    basket = open_basket(town)
    slot = _slot(5, 11)
    assert put(town, basket, course, 1, slot).status_code == 200

    phoned = {
        "merchant_id": shop.merchant_id,
        "lines": [{"offer_id": course, "quantity": 1, "slot": slot}],
        "customer": {"name": "Herr Alt", "phone": "+49 2555 99 88"},
        "choice": SERVICES_ONLY,
    }
    entered = httpx.post(f"{town['ordering'].api}/assisted-orders", json=phoned, headers={**shop.auth, **key()})
    assert entered.status_code == 201, entered.text  # the merchant books for a customer who phoned
    wait_until(
        lambda: town_rows(town, "SELECT 1 FROM ordering_booked_slots WHERE offer_id = %s", (course,)),
        what="the catalog booking the time and ordering hearing of it",
    )

    quote = _quote(town, basket, language="de")
    assert [warning["code"] for warning in quote["warnings"]] == ["slot_booked"]
    assert "Imkerkurs" in quote["warnings"][0]["text"] and "gebucht" in quote["warnings"][0]["text"]
    refused = check_out(town, basket, {shop.merchant_id: SERVICES_ONLY})
    assert refused.status_code == 409, refused.text
    assert refused.json()["clash"] == "booked"
    placed = town_rows(
        town,
        "SELECT count(*) AS n FROM events "
        "WHERE event_type = 'downtown.ordering.OrderPlaced' AND data->>'merchant_id' = %s",
        (shop.merchant_id,),
    )
    assert placed[0]["n"] == 1  # the merchant's order only


@pytest.mark.parametrize(
    ("params", "why"),
    [
        ({"days": 0}, "no day"),
        ({"days": 99}, "too many days"),
        ({"from": "2026-02-30"}, "no such date"),
        ({"from": "morgen"}, "not a date"),
    ],
)
def test_bad_free_slot_questions_are_refused_with_a_reason(
    ordering_town: RunningTown, params: dict[str, Any], why: str
) -> None:
    town = ordering_town
    _, course = _shared(town)
    answer = httpx.get(f"{town['ordering'].api}/offers/{course}/free-slots", params=params)
    assert answer.status_code == 422, (why, answer.text)
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_free_slots_of_a_product_or_an_unknown_offer_and_a_stranger_s_quote_are_refused(
    ordering_town: RunningTown,
) -> None:
    town = ordering_town
    shop, _ = _shared(town)
    api = town["ordering"].api
    assert httpx.get(f"{api}/offers/{shop.offers['Honig']}/free-slots").status_code == 422
    assert httpx.get(f"{api}/offers/00000000-0000-4000-8000-000000000000/free-slots").status_code == 404
    basket = open_basket(town)
    assert httpx.get(f"{api}/baskets/{basket.basket_id}/quote").status_code == 404  # no token: not yours
    bad_code = httpx.get(
        f"{api}/baskets/{basket.basket_id}/quote", params={"postal_code": "4862"}, headers=basket.headers
    )
    assert bad_code.status_code == 422, bad_code.text


_SHOPS: dict[str, tuple[Shop, str]] = {}


def _shared(town: RunningTown) -> tuple[Shop, str]:
    if town.town not in _SHOPS:
        _SHOPS[town.town] = _shop_with_a_course(town, "Imkerei Fragen")
    return _SHOPS[town.town]


@pytest.fixture(scope="module")
def clocked_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[tuple[RunningTown, Path]]:
    """A town of its own whose clock is a file the test moves (``DOWNTOWN_CLOCK_FILE``): a
    hold runs out when the test says so, not when a busy machine gets round to it."""
    workdir = tmp_path_factory.mktemp("held-town")
    clock = workdir / "clock"
    set_clock(clock, MONDAY_8)
    with ordering_town_running(databases, workdir, mailbox, DOWNTOWN_CLOCK_FILE=str(clock)) as running:
        yield running, clock


def test_a_hold_that_ran_out_lets_another_basket_take_the_time_and_the_first_checkout_is_refused(
    clocked_town: tuple[RunningTown, Path],
) -> None:
    town, clock = clocked_town
    shop, course = _shop_with_a_course(town, "Imkerei Uhr")
    first, second = open_basket(town), open_basket(town)
    assert put(town, first, course, 1, TUESDAY_10).status_code == 200
    assert put(town, second, course, 1, TUESDAY_10).status_code == 409

    set_clock(clock, MONDAY_8 + timedelta(minutes=11))  # the town's hold is 10 minutes
    taken = put(town, second, course, 1, TUESDAY_10)
    assert taken.status_code == 200, taken.text
    quote = _quote(town, first, language="en")
    assert [warning["code"] for warning in quote["warnings"]] == ["slot_held_elsewhere"]
    assert quote["shops"][0]["lines"][0]["slot_status"] == "held_elsewhere"
    refused = check_out(town, first, {shop.merchant_id: SERVICES_ONLY})
    assert refused.status_code == 409 and refused.json()["clash"] == "held", refused.text

    placed = check_out(town, second, {shop.merchant_id: SERVICES_ONLY})
    assert placed.status_code == 201, placed.text
    (order,) = placed.json()["orders"]
    wait_for(town, order["order_id"], guest(placed.json()["order_link_token"]), stock_reserved=True)
