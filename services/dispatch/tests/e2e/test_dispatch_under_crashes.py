# SPDX-License-Identifier: AGPL-3.0-or-later
"""Courier orders reach the door exactly once while dispatch's processes die mid-tour.

A town of its own (catalog, vouchers, ordering and dispatch as separate processes): two
shops on the map, two couriers on shift tomorrow, the town's terms. Customers check out
courier orders, some from both shops; the merchants accept them and ordering hands them to
dispatch. Then the day runs as it would: the association plans tomorrow whenever a job is
ready, and each courier's phone scans the slips at the shops and hands the goods over at
the door — one customer refuses them (the goods go back), one is not at home the first
time (the job is planned again and delivered on the second attempt). Meanwhile the test
kills dispatch's API and worker (SIGKILL: no shutdown hook runs) at moments of the tour (as
the hand-offs arrive, while a pickup, a failed attempt or a delivery is on its way, between
deliveries) and starts them again. A phone sends the same request again when its connection
broke or the API answered 5xx; some phones also lose answers (the network drops once the
request went out).

Then: every order has ended once in ordering (fulfilled, or failed for the refused door);
each checkout's courier orders are in exactly one job (its own: ``GET /jobs/{id}``); a job
whose goods a courier holds was never planned onto another; a step sent again answered 200
with nothing new (a delivery: 409); and neither dispatch's nor ordering's topic carries an
event twice — one ``DeliveryJobDelivered`` per delivered job, one ``OrderDelivered`` per
order (a record the relay sent again after a crash, with the same ``ce_id``, is counted and
printed, not a duplicate); no dead letters.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as wall_time
from functools import partial
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from conftest import Databases, start_delivery_town
from dispatch.domain.delivery import job_id_of
from downtown_events.runtime.clock_file import set_clock
from downtown_events.runtime.identity import new_signing_key
from downtown_events.topics import dead_letter_topic, events_topic
from tests.support.local_stack import RunningTown, wait_ready
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import Shop, check_out, open_basket, open_shop, put, step, town_rows
from tests.support.polling import wait_until
from tests.support.topic_reader import read_all

pytestmark = pytest.mark.e2e

BERLIN = ZoneInfo("Europe/Berlin")
CHECKOUTS = 9
TWO_SHOPS = {0, 3, 6}
REFUSED_AT_DOOR = 4
"""The customer who refuses the goods: the job fails for good and the goods go back."""
NOT_AT_HOME_ONCE = 3
"""The customer not at home the first time (two shops): planned again, delivered at the second attempt."""
POSTAL_CODE, CITY = "48249", "Dülmen"
DEPOT = {"lat": 51.8300, "lon": 7.2800}
SHOPS = {"Imkerei Summ": {"lat": 51.8310, "lon": 7.2810}, "Bäckerei Krume": {"lat": 51.8330, "lon": 7.2850}}
ZONE = [{"lat": lat, "lon": lon} for lat, lon in ((51.80, 7.24), (51.86, 7.24), (51.86, 7.32), (51.80, 7.32))]
DONE = {"fulfilled", "delivery_failed"}
LOST_ANSWERS = {1, 5, 6}
"""Checkouts whose courier's phone loses the answers to its pickups and its delivery (the
failed attempts and the return always lose theirs): each step is sent again."""
RIDE = 1.0
"""Seconds a courier rides (or walks to the door) after each step: a tour takes a while."""
SECONDS = 240.0
"""The whole tour, crashes and all, ends within this (a few minutes on a busy machine)."""
TOWN_NOW = datetime.combine(datetime.now(BERLIN).date() + timedelta(days=7), wall_time(10, 0), tzinfo=BERLIN)
"""Where the town's clock stands the whole test (a clock file every process reads), a week
ahead of the machine's: the tour is tomorrow's whatever the hour the test runs at, and no
midnight passes while it runs."""


@pytest.fixture(scope="module")
def crash_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[RunningTown]:
    workdir = tmp_path_factory.mktemp("dispatch-crash-town")
    clock = workdir / "clock"
    set_clock(clock, TOWN_NOW)
    # the courier tokens outlive a restarted API only with a key of the town's (production requires one)
    running = start_delivery_town(
        databases, workdir, mailbox, {"DOWNTOWN_TOKEN_SIGNING_KEY": new_signing_key()}, clock=clock
    )
    try:
        yield running
    finally:
        running.stop()


# --- the phone ------------------------------------------------------------------------------


@dataclass
class Answer:
    response: httpx.Response
    uncertain: bool
    """An earlier try broke off after it was sent: it may have been done already."""


def send(call: Callable[[], httpx.Response], *, seconds: float = 120.0) -> Answer:
    """What a phone (or the dispatcher's browser) does while the API is down: the same
    request again, after a broken connection or a 5xx."""
    deadline, uncertain = time.monotonic() + seconds, False
    while True:
        try:
            response = call()
            if response.status_code < 500 or time.monotonic() > deadline:
                return Answer(response, uncertain)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
        except httpx.HTTPError:  # sent, then the connection broke: maybe done, maybe not
            uncertain = True
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


@dataclass
class Setup:
    day: date
    couriers: dict[str, str]
    """Courier id → token."""
    shops: list[Shop]


@dataclass
class Checkout:
    index: int
    checkout_id: str
    order_ids: dict[str, str]
    """Order id → merchant id."""

    @property
    def job_id(self) -> str:
        return str(job_id_of(UUID(self.checkout_id)))


@dataclass(frozen=True)
class Odd:
    """An answer other than the 200 the phone hoped for."""

    what: str
    status: int
    uncertain: bool
    text: str


@dataclass
class Road:
    """What the dispatcher and the couriers share: the jobs as the board last showed them,
    how far the tour got (the crashes wait for its moments), the answers that were not 200."""

    town: RunningTown
    setup: Setup
    checkouts: list[Checkout]
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    sending: threading.Event = field(default_factory=threading.Event)
    """A courier's request is on its way to the API (the moment to kill it: its answer is lost)."""
    sending_path: str = ""
    plans: int = 0
    lost_answers: int = 0
    pickups: int = 0
    deliveries: int = 0
    odd: list[Odd] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)

    @property
    def api(self) -> str:
        return self.town["dispatch"].api

    @property
    def association(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.town.association_token}"}

    def note(self, what: str, answer: Answer) -> None:
        with self.lock:
            self.odd.append(Odd(what, answer.response.status_code, answer.uncertain, answer.response.text[:200]))

    def progress(self) -> str:
        return f"plans={self.plans} pickups={self.pickups} deliveries={self.deliveries}"

    def index_of(self, job_id: str) -> int:
        return next(c.index for c in self.checkouts if c.job_id == job_id)


class Dispatcher(threading.Thread):
    """The association's screen: reads every job, plans tomorrow whenever one is ready."""

    def __init__(self, road: Road) -> None:
        super().__init__(daemon=True)
        self.road = road

    def run(self) -> None:
        try:
            while not self.road.stop.is_set():
                self._round()
                time.sleep(0.3)
        except BaseException as error:  # reported by the test
            self.road.errors.append(error)

    def _round(self) -> None:
        road = self.road
        for checkout in road.checkouts:
            url = f"{road.api}/jobs/{checkout.job_id}"
            answer = send(partial(httpx.get, url, headers=road.association, timeout=10))
            if answer.response.status_code == 200:
                with road.lock:
                    road.jobs[checkout.job_id] = answer.response.json()
        with road.lock:
            ready = any(job["status"] == "ready" for job in road.jobs.values())
        if ready:
            url = f"{road.api}/plans/{road.setup.day}"
            planned = send(lambda: httpx.post(url, headers=road.association, timeout=60))
            if planned.response.status_code == 200:
                with road.lock:
                    road.plans += 1
            else:
                road.note("plan", planned)


class Courier(threading.Thread):
    """A courier's phone on the road: the slips of their jobs scanned at the shops, the goods
    handed over at the door (or not), goods brought back."""

    def __init__(self, road: Road, courier_id: str, token: str) -> None:
        super().__init__(daemon=True)
        self.road, self.courier_id = road, courier_id
        self.headers = {"Authorization": f"Bearer {token}"}
        self.done: set[str] = set()
        """Jobs this phone saw end (the board may show them a moment longer)."""

    def run(self) -> None:
        road = self.road
        try:
            while not road.stop.is_set():
                with road.lock:
                    mine = [dict(job) for job in road.jobs.values() if job["courier_id"] == self.courier_id]
                for job in mine:
                    if job["job_id"] in self.done:
                        continue
                    if job["status"] in ("planned", "picking_up"):
                        self._tour(job)
                    elif job["status"] == "to_return":
                        self._bring_back(job["job_id"])
                time.sleep(0.2)
        except BaseException as error:  # reported by the test
            road.errors.append(error)

    def _post(self, path: str, *, lose_first_answer: bool = False, **kwargs: Any) -> Answer:
        """The request, sent again until it is answered; ``lose_first_answer``: the phone's
        network drops right after the first try went out (the API does it, the answer is lost)."""
        road, url = self.road, f"{self.road.api}{path}"
        losing = [lose_first_answer]

        def call() -> httpx.Response:
            road.sending_path = path
            road.sending.set()
            timeout = httpx.Timeout(30, read=0.001) if losing and losing.pop() else httpx.Timeout(30)
            try:
                return httpx.post(url, headers=self.headers, timeout=timeout, **kwargs)
            except httpx.ReadTimeout:
                with road.lock:
                    road.lost_answers += 1
                raise
            finally:
                road.sending.clear()

        answer = send(call)
        time.sleep(RIDE)
        return answer

    def _tour(self, job: dict[str, Any]) -> None:
        road = self.road
        scanned: dict[str, Any] | None = None
        for order in job["orders"]:
            if order["withdrawn"]:
                continue
            lose = road.index_of(job["job_id"]) in LOST_ANSWERS
            answer = self._post("/couriers/me/pickups", lose_first_answer=lose, json={"code": order["order_id"]})
            if answer.response.status_code != 200:
                road.note("pickup", answer)  # moved to another tour meanwhile: look again
                return
            scanned = answer.response.json()
            with road.lock:
                road.pickups += 1
        if scanned is not None and all(pickup["picked_up"] for pickup in scanned["pickups"]):
            self._at_the_door(job["job_id"], scanned["attempts"])

    def _at_the_door(self, job_id: str, attempts: int) -> None:
        road, index = self.road, self.road.index_of(job_id)
        if index == NOT_AT_HOME_ONCE and attempts == 0:
            failed = self._post(f"/jobs/{job_id}/failure", lose_first_answer=True, json={"reason": "not_at_home"})
            if failed.response.status_code != 200:
                road.note("not at home", failed)
        elif index == REFUSED_AT_DOOR:
            failed = self._post(f"/jobs/{job_id}/failure", lose_first_answer=True, json={"reason": "refused"})
            if failed.response.status_code == 200:
                self._bring_back(job_id)
            else:
                road.note("refused", failed)  # the board will show the goods to bring back
        else:
            delivered = self._post(
                f"/jobs/{job_id}/delivery", lose_first_answer=index in LOST_ANSWERS, data={"recipient_name": "Kundin"}
            )
            if delivered.response.status_code == 200:
                self.done.add(job_id)
                with road.lock:
                    road.deliveries += 1
            else:  # a 409 after a broken connection: the first try had delivered it
                road.note("delivery", delivered)
                self.done.add(job_id)

    def _bring_back(self, job_id: str) -> None:
        back = self._post(f"/jobs/{job_id}/return", lose_first_answer=True)
        if back.response.status_code == 200:
            self.done.add(job_id)
        else:
            self.road.note("return", back)


# --- the crashes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Crash:
    victims: str
    moment: Callable[[Road], bool]
    during: str = ""
    """The API dies while a courier's request whose path holds this is on its way (its answer lost)."""


CRASHES = [
    Crash("dispatch-worker", lambda road: True),  # as ordering's hand-offs arrive
    Crash("dispatch-api", lambda road: road.plans >= 1),
    Crash("dispatch-api", lambda road: road.pickups >= 1, during="/pickups"),
    Crash("dispatch-api", lambda road: True, during="/failure"),  # the first door that fails
    Crash("dispatch-worker", lambda road: road.pickups >= 6),
    Crash("dispatch-api", lambda road: road.deliveries >= 2, during="/delivery"),
    Crash("dispatch-worker", lambda road: road.deliveries >= 4),
    Crash("dispatch-api dispatch-worker", lambda road: road.deliveries >= 6),
]


def crash_through_the_tour(road: Road) -> list[str]:
    """Each kill waits for its moment of the tour (at most a minute: a stuck tour is the
    asserts' to find) and restarts the process at once; what happened, for the report."""
    dispatch, done = road.town["dispatch"], []
    for crash in CRASHES:
        deadline = time.monotonic() + 60
        while not crash.moment(road) and time.monotonic() < deadline:
            time.sleep(0.05)
        mid_request = crash.during and _request_on_its_way(road, crash.during, seconds=60)
        for victim in crash.victims.split():
            dispatch.kill(victim)
        killed = f"{crash.victims}{f' during {crash.during}' if mid_request else ''} at {road.progress()}"
        for victim in crash.victims.split():
            dispatch.launch(victim)
        began = time.monotonic()
        wait_ready(dispatch)
        done.append(f"{killed}, back in {time.monotonic() - began:.1f} s")
    return done


def _request_on_its_way(road: Road, path: str, seconds: float) -> bool:
    """Whether a courier's request to ``path`` went out within ``seconds`` (returns as it does)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if road.sending.wait(timeout=0.5) and path in road.sending_path:
            return True
    return False


# --- the town -------------------------------------------------------------------------------


def set_up(town: RunningTown) -> Setup:
    """Two shops on the map, a courier service with a cargo bike and a car on shift tomorrow,
    the town's terms (one zone, a slot all day every day, two attempts); tokens for both."""
    api, association = town["dispatch"].api, {"Authorization": f"Bearer {town.association_token}"}

    def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{api}{path}", json=body, headers=association, timeout=30)
        assert response.status_code == 201, response.text
        return dict(response.json())

    shops = [open_shop(town, name, {"Honig": ("8,00", 50)}, location=place) for name, place in SHOPS.items()]
    service = created("/courier-services", {"name": "Radkurier Dülmen", "phone": "02594 1"})["courier_service_id"]
    day = TOWN_NOW.date() + timedelta(days=1)
    starts = datetime.combine(day, datetime.min.time(), tzinfo=BERLIN) + timedelta(hours=7)
    shift = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=13)).isoformat(), "start": DEPOT}
    courier_ids = []
    for name, vehicle, capacity in (("Lena", "cargo_bike", 8), ("Ahmet", "car", 20)):
        body = {"display_name": name, "vehicle": vehicle, "capacity": capacity}
        courier_ids.append(created(f"/courier-services/{service}/couriers", body)["courier_id"])
        created(f"/courier-services/{service}/couriers/{courier_ids[-1]}/shifts", shift)
    terms = {
        "courier_service_id": service,
        "zones": [{"name": CITY, "polygon": ZONE, "postal_codes": [POSTAL_CODE]}],
        "fee": {"pricing": "flat", "cents": 390},
        "slots": [{"weekday": d, "starts": "00:00", "ends": "23:59", "capacity": 100} for d in range(7)],
        "lead_minutes": 0,
        "attempts": 2,
    }
    put_terms = httpx.put(f"{api}/delivery-terms", json=terms, headers=association, timeout=30)
    assert put_terms.status_code == 200, put_terms.text

    def token(courier_id: str) -> str | None:
        response = httpx.post(f"{api}/couriers/{courier_id}/token", headers=association, timeout=30)
        return str(response.json()["token"]) if response.status_code == 201 else None

    tokens = {c: str(wait_until(partial(token, c), what="the roster knowing the courier")) for c in courier_ids}
    wait_until(
        lambda: bool(town_rows(town, "SELECT 1 FROM ordering_delivery_terms")),
        what="ordering hearing of dispatch's terms",
    )
    return Setup(day, tokens, shops)


def check_out_all(town: RunningTown, setup: Setup) -> list[Checkout]:
    """``CHECKOUTS`` customers, each at a door of their own; the merchants accept at once."""
    placed = []
    for index in range(CHECKOUTS):
        shops = setup.shops if index in TWO_SHOPS else [setup.shops[index % 2]]
        basket = open_basket(town)
        for shop in shops:
            assert put(town, basket, shop.offers["Honig"], 1).status_code == 200
        address = {
            "street": f"Marktstraße {index + 1}",
            "postal_code": POSTAL_CODE,
            "city": CITY,
            "pin": {"lat": 51.835 + index * 0.002, "lon": 7.29 - index * 0.003},
        }
        choice = {"fulfilment": {"method": "delivery", "address": address}, "payment": {"method": "cash_at_door"}}
        customer = {"name": f"Kundin {index}", "email": f"kundin{index}@example.de", "phone": "0170 1234567"}
        response = check_out(town, basket, {shop.merchant_id: choice for shop in shops}, customer)
        assert response.status_code == 201, response.text
        body = response.json()
        orders = {order["order_id"]: order["merchant_id"] for order in body["orders"]}
        placed.append(Checkout(index, body["checkout_id"], orders))
    by_merchant = {shop.merchant_id: shop for shop in setup.shops}
    for checkout in placed:
        for order_id, merchant_id in checkout.order_ids.items():
            accepted = step(town, by_merchant[merchant_id], order_id, "accept")
            assert accepted.status_code == 200, accepted.text
    return placed


# --- the test -------------------------------------------------------------------------------


def test_every_courier_order_reaches_the_door_once_while_dispatch_crashes(crash_town: RunningTown) -> None:
    town = crash_town
    setup = set_up(town)
    checkouts = check_out_all(town, setup)
    began = time.monotonic()
    road = Road(town, setup, checkouts)
    crews = [Dispatcher(road), *(Courier(road, courier, token) for courier, token in setup.couriers.items())]
    for crew in crews:
        crew.start()
    try:
        crashes = crash_through_the_tour(road)
        wait_until(
            lambda: road.errors or every_order_ended(town, checkouts),
            seconds=max(30.0, SECONDS - (time.monotonic() - began)),
            every=0.5,
            what="every order ending (delivered, or failed at the refusing door)",
        )
    finally:
        road.stop.set()
        for crew in crews:
            crew.join(timeout=60)
    assert not road.errors, road.errors
    print(f"tour: {time.monotonic() - began:.0f} s, {road.progress()}, {road.lost_answers} answers lost")
    print("crashes:", *crashes, sep="\n  ")
    print("answers other than 200:", *road.odd, sep="\n  ")
    refused = [odd for odd in road.odd if odd.status >= 500 or odd.status in (401, 403)]
    assert not refused, refused  # a phone's token outlives a restart; no 5xx once the API is back
    delivered_before = {("delivery", 409)}
    at_the_door = [odd for odd in road.odd if odd.what != "pickup" and (odd.what, odd.status) not in delivered_before]
    assert not at_the_door, at_the_door  # told again after a lost answer: 200 with nothing new (a delivery: 409)

    ended_once_in_ordering(town, checkouts)
    one_job_per_checkout(road, checkouts)
    goods_stay_with_their_courier(town)
    dispatch_published_once(town, checkouts)
    ordering_published_once(town, checkouts)
    no_dead_letters(town)


def every_order_ended(town: RunningTown, checkouts: list[Checkout]) -> bool:
    ids = [order_id for checkout in checkouts for order_id in checkout.order_ids]
    rows = town_rows(town, "SELECT status FROM ordering_orders WHERE order_id::text = ANY(%s)", (ids,))
    return len(rows) == len(ids) and all(row["status"] in DONE for row in rows)


def expected_status(checkout: Checkout) -> str:
    return "delivery_failed" if checkout.index == REFUSED_AT_DOOR else "fulfilled"


def ended_once_in_ordering(town: RunningTown, checkouts: list[Checkout]) -> None:
    """Each order in its one final state, reached by one ending event."""
    for checkout in checkouts:
        rows = town_rows(
            town,
            "SELECT order_id::text AS order_id, status FROM ordering_orders WHERE order_id::text = ANY(%s)",
            (list(checkout.order_ids),),
        )
        assert {row["order_id"]: row["status"] for row in rows} == dict.fromkeys(
            checkout.order_ids, expected_status(checkout)
        )
    endings = town_rows(
        town,
        "SELECT stream_id, array_agg(event_type) AS types FROM events WHERE event_type IN ("
        "'downtown.ordering.OrderFulfilled', 'downtown.ordering.OrderRejected', "
        "'downtown.ordering.OrderCancelled', 'downtown.ordering.OrderDeliveryFailed') GROUP BY stream_id",
    )
    ended = {row["stream_id"]: row["types"] for row in endings}
    for checkout in checkouts:
        for order_id in checkout.order_ids:
            assert len(ended[order_id]) == 1, (order_id, ended[order_id])


def one_job_per_checkout(road: Road, checkouts: list[Checkout]) -> None:
    """The association's view: each checkout's job holds exactly the checkout's courier
    orders, ended as the door decided; and no order sits in any other job (dispatch's store).

    The board is a projection dispatch's worker keeps, and ordering may hear of a delivery
    before the worker (just restarted by the last crash) has folded it: the jobs are read
    once the board shows every one ended."""

    jobs: dict[str, dict[str, Any]] = {}

    def every_job_ended() -> bool:
        for checkout in checkouts:
            response = httpx.get(f"{road.api}/jobs/{checkout.job_id}", headers=road.association, timeout=10)
            assert response.status_code == 200, response.text
            jobs[checkout.job_id] = response.json()
        return all(job["status"] in ("delivered", "returned") for job in jobs.values())

    try:
        wait_until(every_job_ended, seconds=60, every=0.5, what="the board showing every job ended")
    except AssertionError as late:
        raise AssertionError(f"{late}: {[(job['job_id'], job['status']) for job in jobs.values()]}") from None
    for checkout in checkouts:
        job = jobs[checkout.job_id]
        assert {o["order_id"] for o in job["orders"] if not o["withdrawn"]} == set(checkout.order_ids), job
        assert job["status"] == ("returned" if checkout.index == REFUSED_AT_DOOR else "delivered"), job
        assert job["attempts"] == (1 if checkout.index in (REFUSED_AT_DOOR, NOT_AT_HOME_ONCE) else 0), job
    added = dispatch_rows(
        road.town,
        "SELECT data::json->>'order_id' AS order_id, count(DISTINCT stream_id) AS jobs, count(*) AS n FROM events "
        "WHERE event_type = 'downtown.dispatch.DeliveryJobPickupAdded' GROUP BY 1",
    )
    every_order = {order_id for checkout in checkouts for order_id in checkout.order_ids}
    assert {row["order_id"] for row in added} == every_order
    assert all(row["jobs"] == 1 and row["n"] == 1 for row in added), added


def goods_stay_with_their_courier(town: RunningTown) -> None:
    """Once a courier picked up goods, no plan gives the job to another courier (until a
    failed attempt brings the goods back): the stores' order of events on each job."""
    rows = dispatch_rows(
        town,
        "SELECT stream_id, version, event_type, data::json->>'courier_id' AS courier_id, data::json->>'then' AS then "
        "FROM events WHERE event_type IN ('downtown.dispatch.DeliveryOrderPickedUp', "
        "'downtown.dispatch.DeliveryJobPlanned', 'downtown.dispatch.DeliveryAttemptFailed') "
        "ORDER BY stream_id, version",
    )
    riding: dict[str, str | None] = {}
    moved = []
    for row in rows:
        kind, job = row["event_type"].rsplit(".", 1)[-1], row["stream_id"]
        if kind == "DeliveryOrderPickedUp":
            riding[job] = row["courier_id"]
        elif kind == "DeliveryAttemptFailed" and row["then"] == "retry":
            riding[job] = None
        elif kind == "DeliveryJobPlanned" and riding.get(job) not in (None, row["courier_id"]):
            moved.append((job, row["version"], riding[job], row["courier_id"]))
    assert not moved, f"jobs planned away from the courier who has their goods: {moved}"


def dispatch_published_once(town: RunningTown, checkouts: list[Checkout]) -> None:
    """Per job on dispatch's topic: opened once, each order added once, delivered (or
    returned) once; each order picked up once per attempt."""
    wait_until(lambda: not dispatch_rows(town, "SELECT 1 FROM outbox"), what="dispatch's relay publishing all")
    events = distinct_events(town, "dispatch")
    by_type: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    picked: collections.Counter[str] = collections.Counter()
    for kind, data in events:
        if "job_id" not in data:
            continue  # the set-up's and the tours' events
        by_type[kind][data["job_id"]] += 1
        if kind == "DeliveryOrderPickedUp":
            picked[data["order_id"]] += 1
    for checkout in checkouts:
        job = checkout.job_id
        ending = "DeliveryJobReturned" if checkout.index == REFUSED_AT_DOOR else "DeliveryJobDelivered"
        assert by_type["DeliveryJobOpened"][job] == 1
        assert by_type["DeliveryJobPickupAdded"][job] == len(checkout.order_ids)
        assert by_type[ending][job] == 1, (checkout.index, ending, by_type[ending][job])
        other = "DeliveryJobDelivered" if ending == "DeliveryJobReturned" else "DeliveryJobReturned"
        assert by_type[other][job] == 0
        failures = int(checkout.index in (NOT_AT_HOME_ONCE, REFUSED_AT_DOOR))
        assert by_type["DeliveryAttemptFailed"][job] == failures
        attempts = 2 if checkout.index == NOT_AT_HOME_ONCE else 1
        for order_id in checkout.order_ids:
            assert picked[order_id] == attempts, (checkout.index, order_id, picked[order_id])


def ordering_published_once(town: RunningTown, checkouts: list[Checkout]) -> None:
    """Per order on ordering's topic: handed off once, delivered and fulfilled once (or
    failed once), out for delivery once."""
    wait_until(lambda: not town_rows(town, "SELECT 1 FROM outbox"), what="ordering's relay publishing all")
    counts: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for kind, data in distinct_events(town, "ordering"):
        if "order_id" in data:
            counts[kind][data["order_id"]] += 1
    for checkout in checkouts:
        delivered = checkout.index != REFUSED_AT_DOOR
        for order_id in checkout.order_ids:
            assert counts["OrderDeliveryRequested"][order_id] == 1
            assert counts["OrderOutForDelivery"][order_id] == 1
            assert counts["OrderDelivered"][order_id] == int(delivered), (checkout.index, order_id)
            assert counts["OrderFulfilled"][order_id] == int(delivered)
            assert counts["OrderDeliveryFailed"][order_id] == int(not delivered)


def distinct_events(town: RunningTown, service: str) -> list[tuple[str, dict[str, Any]]]:
    """Every event on the service's topic once (type without its prefix, data); a record
    published again after a crash (the same ``ce_id``) is counted and printed."""
    records = read_all(events_topic(town.town, service))
    seen: dict[str, tuple[str, dict[str, Any]]] = {}
    for record in records:
        headers = {name: value.decode() for name, value in record.headers}
        kind = headers["ce_type"].split(".")[2]  # downtown.<service>.<Type>.v<n>
        seen[headers["ce_id"]] = (kind, json.loads(record.value))
    print(f"{service}: {len(records)} records published, {len(records) - len(seen)} of them a second time")
    return list(seen.values())


def no_dead_letters(town: RunningTown) -> None:
    for service in ("ordering", "dispatch"):
        dead = read_all(dead_letter_topic(town.town, service))
        assert dead == [], f"{service} dead-lettered {len(dead)}: {[dict(r.headers).get('dlq_reason') for r in dead]}"


def dispatch_rows(town: RunningTown, query: str, params: Any = ()) -> list[dict[str, Any]]:
    with psycopg.connect(town["dispatch"].env["DOWNTOWN_DATABASE_URL"], row_factory=dict_row) as conn:
        return list(conn.execute(query, params).fetchall())
