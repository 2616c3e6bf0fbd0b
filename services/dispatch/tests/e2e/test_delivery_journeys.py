# SPDX-License-Identifier: AGPL-3.0-or-later
"""Courier deliveries from checkout to the door, across the whole running town: catalog,
vouchers, ordering and dispatch as separate processes on the real broker and databases
(the session's ``delivery_town``; dispatch's worker replans every second).

Everything is set up through the services' APIs as a town would: shops on the map at the
catalog, a courier service with its couriers and shifts and the town's delivery terms at
dispatch, checkouts at ordering. Each test hires its own couriers and opens its own shops,
and lets its couriers go at its end, so the planner (which plans every courier on shift
of the town) never hands one test's job to another's courier.

The journeys: two shops' orders in one tour for one fee; a failed attempt and the second
one; the last attempt failing and the goods going back to their shops (the stock with
them); a courier dropping out before picking up, the job moving to the other; a town round
for its own fee; and attacks on the running town (another courier's job, a merchant's or
another town's token, a door outside every zone, a slot in the past).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from PIL import Image

from dispatch.domain.delivery import job_id_of
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import DeliveryAttemptFailed, DeliveryJobDelivered, DeliveryJobReturned
from downtown_events.runtime.identity import TokenIssuer, new_signing_key
from downtown_events.topics import events_topic
from tests.support.courier_town import BAKERY, DEPOT, DOOR, TOWN_CLOCK, ZONE
from tests.support.local_stack import RunningTown
from tests.support.ordering_client import (
    GuestBasket,
    Shop,
    check_out,
    guest,
    open_basket,
    open_shop,
    put,
    step,
    town_rows,
    wait_for,
)
from tests.support.polling import wait_until
from tests.support.topic_reader import events_on

pytestmark = pytest.mark.e2e

GROCER = {"lat": 52.0991, "lon": 7.2284}
FAR_AWAY = {"lat": 53.5511, "lon": 9.9937}
TOWN_FEE, ROUND_FEE = 390, 150
STOCK = 5


# --- the association at dispatch -------------------------------------------------------------


@dataclass(frozen=True)
class Dispatch:
    """Dispatch's API as the association (``headers``) or anyone else (``as_``) calls it."""

    api: str
    headers: dict[str, str]
    courier_service_id: str

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.request(method, f"{self.api}{path}", json=body, headers=headers or self.headers, timeout=30)

    def created(self, path: str, body: Any) -> dict[str, Any]:
        response = self.call("POST", path, body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def job(self, job_id: uuid.UUID) -> dict[str, Any] | None:
        response = self.call("GET", f"/jobs/{job_id}")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return dict(response.json())


def terms(courier_service_id: str) -> dict[str, Any]:
    """The town's terms: a zone drawn around the centre; for today and the next two days (the
    session's days, whatever the hour it runs at), a standard slot every hour for the town's
    fee and a town round every half past for less; no lead time, so a slot starts soon."""
    today = datetime.now(TOWN_CLOCK).date()
    weekdays = sorted({(today + timedelta(days=offset)).weekday() for offset in range(3)})
    standard = [
        {"weekday": day, "starts": f"{hour:02}:00", "ends": f"{hour + 1:02}:00" if hour < 23 else "23:59"}
        for day in weekdays
        for hour in range(24)
    ]
    rounds = [
        {
            "weekday": day,
            "starts": f"{hour:02}:30",
            "ends": f"{hour:02}:59",
            "kind": "town_round",
            "label": "Stadtrunde",
            "fee": {"pricing": "flat", "cents": ROUND_FEE},
        }
        for day in weekdays
        for hour in range(24)
    ]
    return {
        "courier_service_id": courier_service_id,
        "zones": [{"name": "Schöppingen Mitte", "polygon": ZONE}],
        "fee": {"pricing": "flat", "cents": TOWN_FEE},
        "slots": [{**slot, "capacity": 100} for slot in standard + rounds],
        "lead_minutes": 0,
        "attempts": 2,
    }


@pytest.fixture(scope="module")
def dispatch(delivery_town: RunningTown) -> Dispatch:
    """A courier service and the town's terms, set once for the module; ordering prices by
    them when this returns."""
    headers = {"Authorization": f"Bearer {delivery_town.association_token}"}
    api = delivery_town["dispatch"].api
    service = httpx.post(
        f"{api}/courier-services", json={"name": "Radkurier Schöppingen", "phone": "02555 9"}, headers=headers
    )
    assert service.status_code == 201, service.text
    town_dispatch = Dispatch(api, headers, service.json()["courier_service_id"])
    wait_until(
        lambda: (
            town_dispatch.call("PUT", "/delivery-terms", terms(town_dispatch.courier_service_id)).status_code == 200
        ),
        seconds=30,
        what="the town's terms set (the courier service known)",
    )

    def ordering_prices_by_them() -> bool:
        basket = open_basket(delivery_town)
        quote = httpx.get(
            f"{delivery_town['ordering'].api}/baskets/{basket.basket_id}/quote",
            params=DOOR,
            headers=basket.headers,
        )
        return quote.status_code == 200 and quote.json()["courier"] is not None

    wait_until(ordering_prices_by_them, seconds=60, every=0.3, what="ordering's quote showing dispatch's terms")
    return town_dispatch


# --- couriers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Courier:
    courier_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


Hire = Callable[[str], Courier]


@pytest.fixture
def hire(dispatch: Dispatch) -> Iterator[Hire]:
    """Couriers of this test, on shift from a moment ago for six hours; let go at its end."""
    hired: list[Courier] = []

    def one(name: str) -> Courier:
        courier = dispatch.created(
            f"/courier-services/{dispatch.courier_service_id}/couriers",
            {"display_name": name, "vehicle": "cargo_bike", "capacity": 8},
        )
        now = datetime.now(UTC)
        shift = {
            "starts_at": (now - timedelta(minutes=10)).isoformat(),
            "ends_at": (now + timedelta(hours=6)).isoformat(),
            "start": DEPOT,
        }
        dispatch.created(
            f"/courier-services/{dispatch.courier_service_id}/couriers/{courier['courier_id']}/shifts", shift
        )

        def token() -> str:
            response = dispatch.call("POST", f"/couriers/{courier['courier_id']}/token", {})
            return str(response.json()["token"]) if response.status_code == 201 else ""

        hired.append(Courier(courier["courier_id"], wait_until(token, seconds=30, what=f"{name} on the roster")))
        return hired[-1]

    yield one
    for courier in hired:
        path = f"/courier-services/{dispatch.courier_service_id}/couriers/{courier.courier_id}"
        assert dispatch.call("DELETE", path).status_code == 204


# --- checkout at ordering ----------------------------------------------------------------------


def shop(town: RunningTown, name: str, location: dict[str, float]) -> Shop:
    return open_shop(town, f"{name} {uuid.uuid4().hex[:6]}", {"Brot": ("6,00", STOCK)}, location=location)


def delivery_to(door: dict[str, float] | None = DOOR, postal_code: str = "48624", **slot: str) -> dict[str, Any]:
    address: dict[str, Any] = {"street": "Am Markt 1", "postal_code": postal_code, "city": "Schöppingen"}
    if door is not None:
        address["pin"] = door
    fulfilment: dict[str, Any] = {"method": "delivery", "address": address}
    if slot:
        fulfilment["delivery_slot"] = slot
    return {"fulfilment": fulfilment, "payment": {"method": "cash_at_door"}}


def quoted_slot(town: RunningTown, basket: GuestBasket, *, town_round: bool = False) -> dict[str, Any]:
    """The first slot of the kind the basket's quote offers that starts a minute from now or
    later (so that the checkout a moment after the quote still finds it bookable)."""
    quote = httpx.get(
        f"{town['ordering'].api}/baskets/{basket.basket_id}/quote",
        params={"postal_code": "48624", **DOOR},
        headers=basket.headers,
    )
    assert quote.status_code == 200, quote.text
    courier = quote.json()["courier"]
    assert courier is not None and courier["zone"] == "Schöppingen Mitte", courier
    later = datetime.now(UTC) + timedelta(minutes=1)
    return next(
        slot
        for slot in courier["slots"]
        if slot["town_round"] == town_round and datetime.fromisoformat(slot["starts_at"]) >= later
    )


@dataclass(frozen=True)
class Checkout:
    checkout_id: str
    orders: dict[str, dict[str, Any]]
    """The orders as checkout answered them, by merchant id."""
    customer: dict[str, str]
    slot: dict[str, Any]

    @property
    def job_id(self) -> uuid.UUID:
        return job_id_of(uuid.UUID(self.checkout_id))

    def order_id(self, shop: Shop) -> str:
        return str(self.orders[shop.merchant_id]["order_id"])


def courier_checkout(town: RunningTown, *shops: Shop, town_round: bool = False) -> Checkout:
    """A customer's basket of a loaf from each shop delivered to ``DOOR`` by the town's
    couriers in the next slot of the kind; every shop accepts."""
    basket = open_basket(town)
    for each in shops:
        assert put(town, basket, each.offers["Brot"], 1).status_code == 200
    slot = quoted_slot(town, basket, town_round=town_round)
    placed = check_out(town, basket, {each.merchant_id: delivery_to(slot_id=slot["slot_id"]) for each in shops})
    assert placed.status_code == 201, placed.text
    body = placed.json()
    checkout = Checkout(
        body["checkout_id"],
        {order["merchant_id"]: order for order in body["orders"]},
        guest(body["order_link_token"]),
        slot,
    )
    for each in shops:
        assert step(town, each, checkout.order_id(each), "accept").status_code == 200
    return checkout


def stock(town: RunningTown, shop: Shop) -> int:
    response = httpx.get(f"{town['catalog'].api}/offers/mine/{shop.offers['Brot']}", headers=shop.auth, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.json()["stock"])


# --- following a job at dispatch ------------------------------------------------------------------


def slot_day(checkout: Checkout) -> date:
    return datetime.fromisoformat(checkout.slot["starts_at"]).astimezone(TOWN_CLOCK).date()


def today() -> date:
    return datetime.now(TOWN_CLOCK).date()


def planned(dispatch: Dispatch, checkout: Checkout, couriers: list[Courier]) -> tuple[dict[str, Any], Courier]:
    """The job once the planner put it on one of ``couriers``' tours, and that courier. The
    worker plans today; a slot of tomorrow (a run just before midnight) is planned on demand."""
    by_id = {courier.courier_id: courier for courier in couriers}
    day = slot_day(checkout)

    def on_a_tour() -> dict[str, Any]:
        if day != today():
            dispatch.call("POST", f"/plans/{day.isoformat()}")
        job = dispatch.job(checkout.job_id)
        return job if job and job["status"] == "planned" and job["courier_id"] in by_id else {}

    job = wait_until(on_a_tour, seconds=60, every=0.2, what=f"job {checkout.job_id} planned onto {list(by_id)}")
    return job, by_id[job["courier_id"]]


def tour_of(dispatch: Dispatch, courier: Courier, day: date) -> list[dict[str, Any]]:
    """The courier's stops as they see them (their tour of today), or as the board shows them
    for another day."""
    if day == today():
        mine = httpx.get(f"{dispatch.api}/couriers/me/tour", headers=courier.headers)
        assert mine.status_code == 200, mine.text
        return list(mine.json()["stops"])
    board = dispatch.call("GET", f"/board?day={day.isoformat()}")
    assert board.status_code == 200, board.text
    tour = next((t for t in board.json()["tours"] if t["courier_id"] == courier.courier_id), None)
    return [] if tour is None else list(tour["stops"])


def job_stops(stops: list[dict[str, Any]], job_id: uuid.UUID) -> list[tuple[str, str | None]]:
    return [(stop["kind"], stop.get("merchant_id")) for stop in stops if stop["job_id"] == str(job_id)]


def scan(dispatch: Dispatch, courier: Courier, order_id: str) -> httpx.Response:
    return httpx.post(f"{dispatch.api}/couriers/me/pickups", json={"code": order_id}, headers=courier.headers)


def door_photo() -> bytes:
    """A small real JPEG, as a phone's camera would send one (smaller)."""
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (180, 120, 60)).save(out, "JPEG", quality=85)
    return out.getvalue()


def deliver(dispatch: Dispatch, courier: Courier, job_id: uuid.UUID, photo: bool = True) -> httpx.Response:
    files = {"photo": ("door.jpg", door_photo(), "image/jpeg")} if photo else None
    return httpx.post(
        f"{dispatch.api}/jobs/{job_id}/delivery",
        data={"recipient_name": "Anna Beispiel"},
        files=files,
        headers=courier.headers,
        timeout=30,
    )


def fail(dispatch: Dispatch, courier: Courier, job_id: uuid.UUID, reason: str = "not_at_home") -> httpx.Response:
    return httpx.post(f"{dispatch.api}/jobs/{job_id}/failure", json={"reason": reason}, headers=courier.headers)


def picked_up_all(dispatch: Dispatch, courier: Courier, checkout: Checkout, *shops: Shop) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for each in shops:
        scanned = scan(dispatch, courier, checkout.order_id(each))
        assert scanned.status_code == 200, scanned.text
        answer = scanned.json()
    assert answer["job_id"] == str(checkout.job_id) and answer["status"] == "picking_up"
    assert all(p["picked_up"] for p in answer["pickups"])
    return answer


def dispatch_events(town: RunningTown, job_id: uuid.UUID) -> list[IntegrationEvent]:
    """What dispatch published about the job so far (its topic read to its end)."""
    return [e for e in events_on(events_topic(town.town, "dispatch")) if getattr(e, "job_id", None) == job_id]


def published(town: RunningTown, job_id: uuid.UUID, kind: type[IntegrationEvent], count: int = 1) -> list[Any]:
    """The job's events of ``kind`` once dispatch's relay published ``count`` of them."""

    def found() -> list[IntegrationEvent]:
        events = [event for event in dispatch_events(town, job_id) if isinstance(event, kind)]
        return events if len(events) >= count else []

    return wait_until(found, seconds=30, every=0.5, what=f"{count} {kind.__name__} of job {job_id} published")


def statement_of(dispatch: Dispatch, job_id: uuid.UUID, lines: int) -> list[dict[str, Any]]:
    """The courier service's statement lines (deliveries, failed attempts, returns) of the
    job, once its month's statement shows ``lines`` of them."""
    month = datetime.now(TOWN_CLOCK).strftime("%Y-%m")

    def shown() -> list[dict[str, Any]]:
        answer = dispatch.call("GET", f"/courier-services/{dispatch.courier_service_id}/statements/{month}")
        if answer.status_code != 200:
            return []
        body = answer.json()
        found = [line for line in body["lines"] + body["unpaid"] if line["job_id"] == str(job_id)]
        return found if len(found) >= lines else []

    return wait_until(shown, seconds=30, every=0.3, what=f"{lines} statement line(s) of job {job_id}")


# --- the journeys --------------------------------------------------------------------------------


def test_two_shops_are_delivered_in_one_tour_for_one_fee(
    delivery_town: RunningTown, dispatch: Dispatch, hire: Hire
) -> None:
    town = delivery_town
    lena = hire("Lena")
    bakery, grocer = shop(town, "Bäckerei Krume", BAKERY), shop(town, "Gemüse Grün", GROCER)

    checkout = courier_checkout(town, bakery, grocer)

    fees = sorted(order["delivery_fee_cents"] for order in checkout.orders.values())
    assert fees == [0, TOWN_FEE]  # one delivery, one fee, on one of the two orders
    job, courier = planned(dispatch, checkout, [lena])
    assert (job["parcels"], job["slot_kind"], job["door_pinned"]) == (2, "standard", True)
    assert {o["order_id"] for o in job["orders"]} == {checkout.order_id(bakery), checkout.order_id(grocer)}
    stops = job_stops(tour_of(dispatch, courier, slot_day(checkout)), checkout.job_id)
    assert sorted(stops[:2]) == sorted([("pickup", bakery.merchant_id), ("pickup", grocer.merchant_id)])
    assert stops[2:] == [("drop_off", None)]  # both shops before the door
    wait_until(
        lambda: wait_for(town, checkout.order_id(bakery), checkout.customer)["delivery"] is not None,
        seconds=30,
        what="the customer told when the courier comes",
    )

    picked_up_all(dispatch, courier, checkout, bakery, grocer)
    for each in (bakery, grocer):
        wait_for(town, checkout.order_id(each), checkout.customer, status="out_for_delivery")
    delivered = deliver(dispatch, courier, checkout.job_id)
    assert delivered.status_code == 200, delivered.text
    assert delivered.json()["status"] == "delivered"

    for each in (bakery, grocer):
        wait_for(town, checkout.order_id(each), checkout.customer, status="fulfilled")
    (told,) = published(town, checkout.job_id, DeliveryJobDelivered)
    assert told.fee_cents == TOWN_FEE and told.photo_proof and told.courier_id == uuid.UUID(courier.courier_id)
    assert {str(o) for o in told.order_ids} == {checkout.order_id(bakery), checkout.order_id(grocer)}
    (line,) = statement_of(dispatch, checkout.job_id, 1)  # the courier service is paid for one delivery
    assert (line["orders"], line["fee_cents"], line["courier_id"]) == (2, TOWN_FEE, courier.courier_id)
    proof = dispatch.call("GET", f"/jobs/{checkout.job_id}/proof.jpg")
    assert proof.status_code == 200 and proof.content[:2] == b"\xff\xd8"
    assert deliver(dispatch, courier, checkout.job_id).status_code == 409  # told twice: nothing new


def test_a_failed_attempt_is_planned_again_and_delivered_the_second_time(
    delivery_town: RunningTown, dispatch: Dispatch, hire: Hire
) -> None:
    town = delivery_town
    ahmet = hire("Ahmet")
    bakery = shop(town, "Bäckerei Zweimal", BAKERY)
    checkout = courier_checkout(town, bakery)
    order_id = checkout.order_id(bakery)

    _, courier = planned(dispatch, checkout, [ahmet])
    picked_up_all(dispatch, courier, checkout, bakery)
    failed = fail(dispatch, courier, checkout.job_id)
    assert failed.status_code == 200, failed.text
    assert (failed.json()["status"], failed.json()["attempts"]) == ("ready", 1)
    (attempt,) = published(town, checkout.job_id, DeliveryAttemptFailed)
    assert (attempt.then, attempt.reason, attempt.attempt) == ("retry", "not_at_home", 1)

    job, courier = planned(dispatch, checkout, [ahmet])  # the second attempt: the goods fetched again
    assert job["attempts"] == 1 and not any(o["picked_up"] for o in job["orders"])
    picked_up_all(dispatch, courier, checkout, bakery)
    assert deliver(dispatch, courier, checkout.job_id, photo=False).status_code == 200

    done = wait_for(town, order_id, checkout.customer, status="fulfilled")
    assert done["delivery_fee_cents"] == TOWN_FEE  # charged once, for both attempts
    (told,) = published(town, checkout.job_id, DeliveryJobDelivered)
    assert told.fee_cents == TOWN_FEE


def test_the_last_attempt_failing_sends_the_goods_back_and_the_stock_returns(
    delivery_town: RunningTown, dispatch: Dispatch, hire: Hire
) -> None:
    town = delivery_town
    mia = hire("Mia")
    bakery = shop(town, "Bäckerei Niemand", BAKERY)
    checkout = courier_checkout(town, bakery)
    order_id = checkout.order_id(bakery)
    wait_until(lambda: stock(town, bakery) == STOCK - 1, seconds=30, what="the loaf reserved")

    for attempt in (1, 2):
        _, courier = planned(dispatch, checkout, [mia])
        picked_up_all(dispatch, courier, checkout, bakery)
        failed = fail(dispatch, courier, checkout.job_id)
        assert failed.status_code == 200, failed.text
        assert failed.json()["attempts"] == attempt
    assert failed.json()["status"] == "to_return"  # the terms' two attempts are used up
    assert scan(dispatch, courier, order_id).status_code == 200  # scanned again: nothing new
    too_late = deliver(dispatch, courier, checkout.job_id)
    assert too_late.status_code == 422, too_late.text  # no delivery after the last attempt

    returned = httpx.post(f"{dispatch.api}/jobs/{checkout.job_id}/return", headers=courier.headers)
    assert returned.status_code == 200, returned.text
    assert returned.json()["status"] == "returned"

    wait_for(town, order_id, checkout.customer, status="delivery_failed")
    wait_until(lambda: stock(town, bakery) == STOCK, seconds=30, what="the loaf back in the catalog's stock")
    attempts = published(town, checkout.job_id, DeliveryAttemptFailed, count=2)
    assert [a.then for a in attempts] == ["retry", "return"]
    published(town, checkout.job_id, DeliveryJobReturned)
    unpaid = statement_of(dispatch, checkout.job_id, 3)
    assert sorted((line["kind"], line.get("attempt")) for line in unpaid) == [
        ("failed", 1),
        ("failed", 2),
        ("returned", None),
    ]


def test_a_courier_dropping_out_before_pickup_leaves_the_job_to_the_other(
    delivery_town: RunningTown, dispatch: Dispatch, hire: Hire
) -> None:
    town = delivery_town
    couriers = [hire("Jonas"), hire("Elif")]
    grocer = shop(town, "Gemüse Ausfall", GROCER)
    checkout = courier_checkout(town, grocer)
    _, first = planned(dispatch, checkout, couriers)
    (other,) = [courier for courier in couriers if courier != first]

    dropped = dispatch.call("POST", f"/couriers/{first.courier_id}/drop-out", {}, headers=first.headers)
    assert dropped.status_code == 200, dropped.text

    job, taker = planned(dispatch, checkout, [other])
    assert taker == other and job["status"] == "planned"
    day = slot_day(checkout)
    assert job_stops(tour_of(dispatch, other, day), checkout.job_id) == [
        ("pickup", grocer.merchant_id),
        ("drop_off", None),
    ]
    wait_until(
        lambda: not job_stops(tour_of(dispatch, first, day), checkout.job_id),
        seconds=30,
        what="the job gone from the dropped courier's tour",
    )
    assert scan(dispatch, first, checkout.order_id(grocer)).status_code == 404  # no longer theirs

    picked_up_all(dispatch, other, checkout, grocer)
    assert deliver(dispatch, other, checkout.job_id).status_code == 200
    wait_for(town, checkout.order_id(grocer), checkout.customer, status="fulfilled")
    (told,) = published(town, checkout.job_id, DeliveryJobDelivered)
    assert told.courier_id == uuid.UUID(other.courier_id)


def test_a_courier_dropping_out_with_the_goods_on_board_keeps_the_job(
    delivery_town: RunningTown, dispatch: Dispatch, hire: Hire
) -> None:
    town = delivery_town
    couriers = [hire("Paul"), hire("Lea")]
    grocer = shop(town, "Gemüse Unterwegs", GROCER)
    checkout = courier_checkout(town, grocer)
    _, first = planned(dispatch, checkout, couriers)
    (other,) = [courier for courier in couriers if courier != first]
    picked_up_all(dispatch, first, checkout, grocer)

    dropped = dispatch.call("POST", f"/couriers/{first.courier_id}/drop-out", {}, headers=first.headers)
    assert dropped.status_code == 200, dropped.text

    def dropped_out() -> bool:
        services = dispatch.call("GET", "/courier-services").json()
        shifts = [shift for service in services for shift in service["shifts"]]
        return any(shift["courier_id"] == first.courier_id and shift["dropped_out_at"] for shift in shifts)

    wait_until(dropped_out, seconds=30, what="the roster knowing of the drop-out")
    plan = dispatch.call("POST", f"/plans/{slot_day(checkout).isoformat()}")
    assert plan.status_code == 200, plan.text
    # the goods ride with the courier who stopped: the job moves to nobody else, left out with why
    assert all(stop["job_id"] != str(checkout.job_id) for t in plan.json()["tours"] for stop in t["stops"])
    reasons = {left["job_id"]: left["reason"] for left in plan.json()["unplanned"]}
    assert "not on shift" in reasons[str(checkout.job_id)], reasons
    job = dispatch.job(checkout.job_id)
    assert job is not None and (job["status"], job["courier_id"]) == ("picking_up", first.courier_id)
    assert deliver(dispatch, other, checkout.job_id).status_code == 404  # the goods are not with them

    assert deliver(dispatch, first, checkout.job_id).status_code == 200  # brought to the door all the same
    wait_for(town, checkout.order_id(grocer), checkout.customer, status="fulfilled")


def test_a_town_round_is_delivered_for_its_own_fee(delivery_town: RunningTown, dispatch: Dispatch, hire: Hire) -> None:
    town = delivery_town
    sara = hire("Sara")
    bakery = shop(town, "Bäckerei Runde", BAKERY)

    checkout = courier_checkout(town, bakery, town_round=True)

    assert (checkout.slot["label"], checkout.slot["fee_cents"]) == ("Stadtrunde", ROUND_FEE)
    placed = checkout.orders[bakery.merchant_id]
    assert placed["delivery_fee_cents"] == ROUND_FEE and placed["total_cents"] == 600 + ROUND_FEE
    job, courier = planned(dispatch, checkout, [sara])
    assert job["slot_kind"] == "town_round"
    assert datetime.fromisoformat(job["slot_starts"]) == datetime.fromisoformat(checkout.slot["starts_at"])
    picked_up_all(dispatch, courier, checkout, bakery)
    assert deliver(dispatch, courier, checkout.job_id).status_code == 200
    wait_for(town, checkout.order_id(bakery), checkout.customer, status="fulfilled")
    (told,) = published(town, checkout.job_id, DeliveryJobDelivered)
    assert told.fee_cents == ROUND_FEE


def orders_placed(town: RunningTown, shop: Shop) -> int:
    rows = town_rows(
        town,
        "SELECT count(*) AS n FROM events WHERE event_type = 'downtown.ordering.OrderPlaced' "
        "AND data->>'merchant_id' = %s",
        (shop.merchant_id,),
    )
    return int(rows[0]["n"])


def checked_out(town: RunningTown, basket: GuestBasket) -> bool:
    rows = town_rows(
        town,
        "SELECT 1 FROM events WHERE stream_id = %s AND event_type LIKE %s",
        (basket.basket_id, "%BasketCheckedOut"),
    )
    return bool(rows)


def test_attacks_on_the_running_town_are_refused_and_change_nothing(
    delivery_town: RunningTown, dispatch: Dispatch, hire: Hire
) -> None:
    town = delivery_town
    couriers = [hire("Nina"), hire("Tom")]
    bakery = shop(town, "Bäckerei Wache", BAKERY)
    checkout = courier_checkout(town, bakery)
    order_id = checkout.order_id(bakery)
    _, owner = planned(dispatch, checkout, couriers)
    (stranger,) = [courier for courier in couriers if courier != owner]
    job_path = f"/jobs/{checkout.job_id}"

    # another courier's job is no job of theirs
    assert scan(dispatch, stranger, order_id).status_code == 404
    assert deliver(dispatch, stranger, checkout.job_id).status_code == 404
    assert fail(dispatch, stranger, checkout.job_id).status_code == 404
    assert dispatch.call("POST", f"{job_path}/return", headers=stranger.headers).status_code == 404
    # a merchant is no courier
    assert httpx.get(f"{dispatch.api}/couriers/me/tour", headers=bakery.auth).status_code in (401, 403)
    assert httpx.post(
        f"{dispatch.api}/couriers/me/pickups", json={"code": order_id}, headers=bakery.auth
    ).status_code in (401, 403)
    assert dispatch.call("POST", f"{job_path}/return", headers=bakery.auth).status_code in (401, 403)
    # another town's courier token, naming this town's courier
    elsewhere = TokenIssuer(town="elsewhere", issuer="dispatch", key_id="dispatch-1", signing_key=new_signing_key())
    forged = Courier(owner.courier_id, elsewhere.issue(subject=owner.courier_id, role="courier", lifetime_seconds=600))
    assert httpx.get(f"{dispatch.api}/couriers/me/tour", headers=forged.headers).status_code == 401
    assert scan(dispatch, forged, order_id).status_code == 401
    assert deliver(dispatch, forged, checkout.job_id).status_code == 401
    # the job as it was: planned for its courier, nothing picked up, nothing published
    job = dispatch.job(checkout.job_id)
    assert job is not None and job["status"] == "planned" and job["courier_id"] == owner.courier_id
    assert not any(o["picked_up"] for o in job["orders"])
    assert wait_for(town, order_id, checkout.customer)["status"] == "confirmed"

    # checkouts: a door outside every zone, a slot in the past; nothing written
    basket = open_basket(town)
    assert put(town, basket, bakery.offers["Brot"], 1).status_code == 200
    outside = check_out(town, basket, {bakery.merchant_id: delivery_to(FAR_AWAY, postal_code="20095")})
    assert outside.status_code == 422, outside.text
    past = (datetime.now(UTC) - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    too_late = check_out(town, basket, {bakery.merchant_id: delivery_to(starts_at=past.isoformat())})
    assert too_late.status_code == 422, too_late.text
    assert "in the past" in too_late.json()["detail"]
    assert orders_placed(town, bakery) == 1 and not checked_out(town, basket)  # the first checkout's only

    # the job's own courier still delivers it (and leaves no open job behind for other tests)
    picked_up_all(dispatch, owner, checkout, bakery)
    assert deliver(dispatch, owner, checkout.job_id).status_code == 200
    wait_for(town, order_id, checkout.customer, status="fulfilled")
