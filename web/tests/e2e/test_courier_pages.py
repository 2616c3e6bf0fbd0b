# SPDX-License-Identifier: AGPL-3.0-or-later
"""The courier's phone pages over the running delivery town (catalog, vouchers, ordering and
dispatch as separate processes), as a phone browser without JavaScript uses them: a courier
signs in by the link dispatch mails (once), sees today's tour with the shop and the door in
order, types the slip's code at the shop and confirms the delivery at the door with the
recipient's name and a photo.

The town is the session's ``delivery_town``: its terms and its couriers are set up here as
the association would, and this module's courier is let go at its end, so the planner (which
plans every courier on shift) hands no other test's job to them.
"""

from __future__ import annotations

import html
import io
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from dispatch.domain.delivery import job_id_of
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import check_out, open_basket, open_shop, put, step
from tests.support.polling import wait_until
from tests.support.web_front import WebFront, running_web_front

pytestmark = pytest.mark.e2e

TOWN_CLOCK = ZoneInfo("Europe/Berlin")
CENTRE = (52.100, 7.230)
ZONE = [
    {"lat": CENTRE[0] - 0.03, "lon": CENTRE[1] - 0.03},
    {"lat": CENTRE[0] - 0.03, "lon": CENTRE[1] + 0.03},
    {"lat": CENTRE[0] + 0.03, "lon": CENTRE[1] + 0.03},
    {"lat": CENTRE[0] + 0.03, "lon": CENTRE[1] - 0.03},
]
DEPOT = {"lat": 52.1000, "lon": 7.2300}
BAKERY = {"lat": 52.1012, "lon": 7.2318}
DOOR = {"lat": 52.1034, "lon": 7.2351}
LINK = re.compile(r"/courier/sign-in\?courier=[0-9a-f-]+&token=[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def front(delivery_town: RunningTown, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebFront]:
    with running_web_front(delivery_town, tmp_path_factory.mktemp("web-courier")) as running:
        yield running


class Association:
    """Dispatch's API as the town's association calls it."""

    def __init__(self, town: RunningTown) -> None:
        self.api = town["dispatch"].api
        self.headers = {"Authorization": f"Bearer {town.association_token}"}

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, f"{self.api}{path}", json=body, headers=self.headers, timeout=30)

    def created(self, path: str, body: Any) -> dict[str, Any]:
        response = self.call("POST", path, body)
        assert response.status_code == 201, response.text
        return dict(response.json())


def terms(courier_service_id: str) -> dict[str, Any]:
    """A zone around the centre; for today and the next two days a slot every hour, no lead time."""
    today = datetime.now(TOWN_CLOCK).date()
    weekdays = sorted({(today + timedelta(days=offset)).weekday() for offset in range(3)})
    slots = [
        {
            "weekday": day,
            "starts": f"{hour:02}:00",
            "ends": f"{hour + 1:02}:00" if hour < 23 else "23:59",
            "capacity": 100,
        }
        for day in weekdays
        for hour in range(24)
    ]
    return {
        "courier_service_id": courier_service_id,
        "zones": [{"name": "Schöppingen Mitte", "polygon": ZONE}],
        "fee": {"pricing": "flat", "cents": 390},
        "slots": slots,
        "lead_minutes": 0,
        "attempts": 2,
    }


@pytest.fixture(scope="module")
def courier(delivery_town: RunningTown) -> Iterator[tuple[str, str]]:
    """A courier with an e-mail address, on shift from a moment ago for six hours, of a courier
    service that delivers by the town's terms (ordering prices by them when this returns); let
    go at the module's end. Their id and address."""
    association = Association(delivery_town)
    service_id = association.created("/courier-services", {"name": "Radkurier Web", "phone": "02555 9"})[
        "courier_service_id"
    ]
    wait_until(
        lambda: association.call("PUT", "/delivery-terms", terms(service_id)).status_code == 200,
        seconds=30,
        what="the town's terms set (the courier service known)",
    )
    email = f"kurierin-{uuid.uuid4().hex[:12]}@example.de"
    added = association.created(
        f"/courier-services/{service_id}/couriers",
        {"display_name": "Lena", "vehicle": "cargo_bike", "capacity": 8, "email": email},
    )
    courier_id = added["courier_id"]
    now = datetime.now(UTC)
    shift = {
        "starts_at": (now - timedelta(minutes=10)).isoformat(),
        "ends_at": (now + timedelta(hours=6)).isoformat(),
        "start": DEPOT,
    }
    association.created(f"/courier-services/{service_id}/couriers/{courier_id}/shifts", shift)
    wait_until(
        lambda: association.call("POST", f"/couriers/{courier_id}/token", {}).status_code == 201,
        seconds=30,
        what="the courier on the roster",
    )
    yield courier_id, email
    assert association.call("DELETE", f"/courier-services/{service_id}/couriers/{courier_id}").status_code == 204


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form that posts to ``action``, as a browser sends them."""
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page, re.S)
    assert form, page[:3000]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0))
    }


def door_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (180, 120, 60)).save(out, "JPEG", quality=85)
    return out.getvalue()


def courier_checkout(town: RunningTown) -> tuple[str, str, uuid.UUID, date]:
    """A loaf from a bakery on the map, delivered to ``DOOR`` in the next slot a minute from now
    or later; the bakery accepts. The bakery's name, the order's id (its slip's code), the
    delivery job's id and its day (the slot's, in the town)."""
    name = f"Bäckerei Krume {uuid.uuid4().hex[:6]}"
    bakery = open_shop(town, name, {"Brot": ("6,00", 5)}, location=BAKERY)

    def quoted() -> dict[str, Any] | None:
        basket = open_basket(town)
        quote = httpx.get(
            f"{town['ordering'].api}/baskets/{basket.basket_id}/quote", params=DOOR, headers=basket.headers
        )
        return quote.json()["courier"] if quote.status_code == 200 else None

    wait_until(quoted, seconds=60, every=0.3, what="ordering's quote showing dispatch's terms")
    basket = open_basket(town)
    assert put(town, basket, bakery.offers["Brot"], 1).status_code == 200
    quote = httpx.get(
        f"{town['ordering'].api}/baskets/{basket.basket_id}/quote",
        params={"postal_code": "48624", **DOOR},
        headers=basket.headers,
    )
    assert quote.status_code == 200, quote.text
    later = datetime.now(UTC) + timedelta(minutes=1)
    slot = next(
        slot
        for slot in quote.json()["courier"]["slots"]
        if not slot["town_round"] and datetime.fromisoformat(slot["starts_at"]) >= later
    )
    address = {"street": "Am Markt 1", "postal_code": "48624", "city": "Schöppingen", "pin": DOOR}
    choice = {
        "fulfilment": {"method": "delivery", "address": address, "delivery_slot": {"slot_id": slot["slot_id"]}},
        "payment": {"method": "cash_at_door"},
    }
    placed = check_out(town, basket, {bakery.merchant_id: choice})
    assert placed.status_code == 201, placed.text
    (order_id,) = (order["order_id"] for order in placed.json()["orders"])
    assert step(town, bakery, order_id, "accept").status_code == 200
    day = datetime.fromisoformat(slot["starts_at"]).astimezone(TOWN_CLOCK).date()
    return name, order_id, job_id_of(uuid.UUID(placed.json()["checkout_id"])), day


def test_a_courier_signs_in_by_link_and_rides_their_tour(
    delivery_town: RunningTown, front: WebFront, mailbox: Mailbox, courier: tuple[str, str]
) -> None:
    courier_id, email = courier
    with httpx.Client(base_url=front.url, headers={"Accept-Language": "en"}, timeout=60) as phone:
        asking = phone.get("/courier/sign-in")
        assert asking.status_code == 200
        asked = phone.post(
            "/courier/sign-in-links", data={"email": email, **form_fields(asking.text, "/courier/sign-in-links")}
        )
        assert asked.status_code == 200 and "a sign-in link is on its way" in asked.text, asked.text
        link = wait_until(
            lambda: next(filter(None, (LINK.search(str(m.get_content())) for m in mailbox.to(email))), None),
            seconds=60,
            what="the courier's sign-in mail",
        )

        opened = phone.get(link.group(0))  # opening the link signs nobody in: its button does
        assert opened.status_code == 200 and "courier=" not in " ".join(opened.headers.get_list("set-cookie"))
        button = form_fields(opened.text, "/courier/sign-in")
        signed_in = phone.post("/courier/sign-in", data=button)
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/courier", signed_in.text
        cookie = next(c for c in signed_in.headers.get_list("set-cookie") if c.startswith("courier="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/courier" in cookie
        again = phone.post("/courier/sign-in", data=button)  # the link once only
        assert again.status_code == 403 and "courier=" not in " ".join(again.headers.get_list("set-cookie"))

        shop_name, order_id, job_id, day = courier_checkout(delivery_town)
        association = Association(delivery_town)
        today = datetime.now(TOWN_CLOCK).date()

        def planned() -> bool:
            if day != today:  # a run just before midnight: the next slot is tomorrow's, planned on demand
                association.call("POST", f"/plans/{day.isoformat()}")
            job = association.call("GET", f"/jobs/{job_id}")
            return (
                job.status_code == 200 and job.json()["status"] == "planned" and job.json()["courier_id"] == courier_id
            )

        wait_until(planned, seconds=60, every=0.3, what=f"job {job_id} planned")
        if day == today:
            tour = wait_until(
                lambda: (
                    (answer := phone.get("/courier")).status_code == 200 and "/delivery" in answer.text and answer.text
                ),
                seconds=60,
                every=0.5,
                what="the job on the courier's tour page",
            )
            assert html.escape(shop_name) in tour and "Pick up at" in tour and "Deliver to" in tour
            assert tour.index("Pick up at") < tour.index("Deliver to")  # the shop before the door
            assert 'inputmode="' in tour and 'src="/static/scan.js"' in tour and "<script>" not in tour
            assert set(re.findall(r'action="/courier/jobs/([0-9a-f-]+)/delivery"', tour)) == {str(job_id)}
        else:  # today's page shows today's tour only: this one is tomorrow's
            tour = phone.get("/courier").text
            assert "No stops planned for you today yet" in tour
        csrf = form_fields(tour, "/courier/sign-out")

        wrong = phone.post("/courier/pickups", data={"code": "not a code", **csrf})
        assert wrong.status_code == 422 and "Please type the code" in wrong.text
        typed = order_id.upper().replace("-", " ")  # typed as printed, in blocks
        scanned = phone.post("/courier/pickups", data={"code": typed, **csrf})
        assert scanned.status_code == 303 and scanned.headers["location"].startswith("/courier?done=pickup"), (
            scanned.text
        )
        assert "Picked up" in phone.get(scanned.headers["location"]).text

        delivery = f"/courier/jobs/{job_id}/delivery"
        nameless = phone.post(delivery, data={"recipient_name": " ", **csrf})
        assert nameless.status_code == 422 and "Please enter the name" in nameless.text
        delivered = phone.post(
            delivery,
            data={"recipient_name": "Anna Beispiel", **csrf},
            files={"photo": ("door.jpg", door_photo(), "image/jpeg")},
        )
        assert delivered.status_code == 303 and "done=delivery" in delivered.headers["location"], delivered.text
        twice = phone.post(delivery, data={"recipient_name": "Anna Beispiel", **csrf})
        assert twice.status_code == 409  # told twice: refused beside the stop, nothing new

        def job_status() -> str:
            job = httpx.get(
                f"{delivery_town['dispatch'].api}/jobs/{job_id}",
                headers={"Authorization": f"Bearer {delivery_town.association_token}"},
            )
            assert job.status_code == 200, job.text
            return str(job.json()["status"])

        # the board is a projection of dispatch's worker: it shows the delivery a moment later
        wait_until(lambda: job_status() == "delivered", seconds=30, what="the board showing the job delivered")


def test_without_a_session_the_tour_asks_to_sign_in(front: WebFront) -> None:
    with httpx.Client(base_url=front.url, timeout=30) as phone:
        answer = phone.get("/courier")
        assert answer.status_code == 303 and answer.headers["location"] == "/courier/sign-in"
        forged = phone.post("/courier/pickups", data={"code": str(uuid.uuid4()), "csrf": "x" * 40})
        assert forged.status_code == 403
