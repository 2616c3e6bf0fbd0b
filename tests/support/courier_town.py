# SPDX-License-Identifier: AGPL-3.0-or-later
"""A town's couriers as the end-to-end tests of the courier's pages set them up (with httpx and
in a browser): the association's terms and a courier on shift, a delivery checkout at a bakery
on the map that the courier's tour then holds, and the courier's mailed sign-in link.

A test module holds its courier for its length (:func:`courier_on_shift`) and lets them go at
its end, so the planner (which plans every courier on shift) hands no other module's job to
them; modules run one after another, so one courier rides at a time.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from PIL import Image

from dispatch.domain.delivery import job_id_of
from tests.support.local_stack import RunningTown
from tests.support.mailbox import Mailbox
from tests.support.ordering_client import check_out, open_basket, open_shop, put, step
from tests.support.polling import wait_until

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


@contextmanager
def courier_on_shift(town: RunningTown) -> Iterator[tuple[str, str]]:
    """A courier with an e-mail address, on shift from a moment ago for six hours, of a courier
    service that delivers by the town's terms (ordering prices by them once this yields); let
    go when the block ends. Their id and address."""
    association = Association(town)
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
    try:
        yield courier_id, email
    finally:
        removed = association.call("DELETE", f"/courier-services/{service_id}/couriers/{courier_id}")
        assert removed.status_code == 204, removed.text


def sign_in_link(mailbox: Mailbox, email: str) -> re.Match[str] | None:
    """The courier's sign-in link among the mails to ``email``, once one arrived."""
    return next(filter(None, (LINK.search(str(mail.get_content())) for mail in mailbox.to(email))), None)


def door_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 64), (180, 120, 60)).save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass(frozen=True)
class CourierJob:
    """A checkout delivered by courier: the bakery's name, the order's id (its slip's code), the
    delivery job's id and its day (the slot's, in the town)."""

    shop_name: str
    order_id: str
    job_id: uuid.UUID
    day: date


def courier_checkout(town: RunningTown) -> CourierJob:
    """A loaf from a bakery on the map, delivered to ``DOOR`` in the next slot a minute from now
    or later; the bakery accepts."""
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
    return CourierJob(name, order_id, job_id_of(uuid.UUID(placed.json()["checkout_id"])), day)


def wait_until_planned(town: RunningTown, job: CourierJob, courier_id: str) -> None:
    """Until dispatch planned ``job`` on the courier's tour (a slot of tomorrow, in a run just
    before midnight, is planned on demand: today's planning leaves it)."""
    association = Association(town)
    today = datetime.now(TOWN_CLOCK).date()

    def planned() -> bool:
        if job.day != today:
            association.call("POST", f"/plans/{job.day.isoformat()}")
        answer = association.call("GET", f"/jobs/{job.job_id}")
        return (
            answer.status_code == 200
            and answer.json()["status"] == "planned"
            and answer.json()["courier_id"] == courier_id
        )

    wait_until(planned, seconds=60, every=0.3, what=f"job {job.job_id} planned")


def job_status(town: RunningTown, job: CourierJob) -> str:
    """The job's status on dispatch's board (a projection of its worker: a moment behind)."""
    answer = Association(town).call("GET", f"/jobs/{job.job_id}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])
