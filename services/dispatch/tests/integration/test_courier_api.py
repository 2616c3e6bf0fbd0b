# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier on the road through dispatch's API, next to a catalog on the real broker and
database: an order's slip scanned, a delivery handed over with its photo stripped and kept,
a failed attempt by the town's terms, the goods brought back; and the attacks: another
courier's token, a merchant's, another town's, a decompression bomb, a chunked body with no
length, a delivery told twice at once. Every refusal writes nothing.

The jobs are put on the road by appending their events to dispatch's store (opened, an
order to pick up, the drop-off, planned for a courier), as the planner would, for a day
three days ahead (the worker plans today only, so it leaves them be).
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
import pytest
from photo_samples import decompression_bomb, not_an_image, sample_photo
from PIL import Image
from psycopg.rows import dict_row

from conftest import Databases
from dispatch.domain.private_events import DeliveryDropOffRecorded
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import ArrivalWindow, DeliveryJobOpened, DeliveryJobPickupAdded, DeliveryJobPlanned
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff
from downtown_events.runtime.identity import TokenIssuer, new_signing_key
from downtown_events.runtime.postgres_store import append_on
from tests.support.catalog_client import register
from tests.support.local_stack import RunningTown, random_town, start_town
from tests.support.polling import wait_until

pytestmark = pytest.mark.integration

MAX_PHOTO = 1024 * 1024
SHOP = GeoPoint(lat=51.84, lon=7.27)
DOOR = DeliveryDropOff(
    name="Ada", street="Markt 1", postal_code="48249", city="Dülmen", pin=GeoPoint(lat=51.83, lon=7.28)
)
CENTRE = [{"lat": 51.83, "lon": 7.26}, {"lat": 51.85, "lon": 7.26}, {"lat": 51.85, "lon": 7.30}]


class Road:
    """The running town, the database of its dispatch, two couriers' tokens and a merchant's."""

    def __init__(self, town: RunningTown, database_url: str, signing_key: str) -> None:
        self.town = town
        self.api = town["dispatch"].api
        self.database_url = database_url
        self.signing_key = signing_key
        self.association = {"Authorization": f"Bearer {town.association_token}"}
        self.service_id = self._post("/courier-services", {"name": "Radkurier", "phone": "02594 1"})[
            "courier_service_id"
        ]
        self.anna_id, self.anna = self._courier("Anna")
        self.ben_id, self.ben = self._courier("Ben")
        _, self.merchant = register(town["catalog"], name="Fahrradladen Speiche")

    def _post(self, path: str, body: Any) -> Any:
        response = httpx.post(f"{self.api}{path}", json=body, headers=self.association)
        assert response.status_code == 201, response.text
        return response.json()

    def _courier(self, name: str) -> tuple[str, dict[str, str]]:
        body = {"display_name": name, "vehicle": "cargo_bike", "capacity": 8}
        courier_id = self._post(f"/courier-services/{self.service_id}/couriers", body)["courier_id"]

        def token() -> str | None:
            response = httpx.post(f"{self.api}/couriers/{courier_id}/token", headers=self.association)
            return str(response.json()["token"]) if response.status_code == 201 else None

        issued = wait_until(token, what=f"the roster knows {name}, so a token is issued")
        return courier_id, {"Authorization": f"Bearer {issued}"}

    def elsewhere(self) -> dict[str, str]:
        """Anna's token as another town's dispatch would sign it, with this town's very key."""
        issuer = TokenIssuer(town="elsewhere", issuer="dispatch", key_id="dispatch-1", signing_key=self.signing_key)
        return {"Authorization": f"Bearer {issuer.issue(subject=self.anna_id, role='courier', lifetime_seconds=600)}"}

    def planned_job(self, courier_id: str) -> tuple[UUID, UUID]:
        """A job of one order, planned for ``courier_id``, known to the order-to-job read model."""
        job_id, order_id = uuid4(), uuid4()
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
        slot = ArrivalWindow(starts_at=starts, ends_at=starts + timedelta(hours=2))
        events: list[IntegrationEvent] = [
            DeliveryJobOpened(job_id=job_id, checkout_id=uuid4(), zone_id=uuid4(), slot=slot, expected_orders=1),
            DeliveryJobPickupAdded(job_id=job_id, order_id=order_id, merchant_id=uuid4(), shop=SHOP, fee_cents=0),
            DeliveryDropOffRecorded(job_id=job_id, drop_off=DOOR),
            DeliveryJobPlanned(
                job_id=job_id, courier_id=UUID(courier_id), tour_id=uuid4(), pickup_by=starts, arrives=slot
            ),
        ]
        asyncio.run(self._append(str(job_id), events))
        wait_until(lambda: self._known(order_id), what="the order-to-job read model knows the order")
        return job_id, order_id

    async def _append(self, stream_id: str, events: list[IntegrationEvent]) -> None:
        async with await psycopg.AsyncConnection.connect(
            self.database_url, autocommit=True, row_factory=dict_row
        ) as conn:
            await append_on(conn, "dispatch", stream_id, 0, events, None)

    def query(self, sql: str, *params: object) -> list[dict[str, Any]]:
        with psycopg.connect(self.database_url, row_factory=dict_row) as conn:
            return conn.execute(sql, params).fetchall()

    def _known(self, order_id: UUID) -> bool:
        return bool(self.query("SELECT 1 FROM dispatch_order_jobs WHERE order_id = %s", order_id))

    def events(self, job_id: UUID) -> list[str]:
        rows = self.query("SELECT event_type FROM events WHERE stream_id = %s ORDER BY version", str(job_id))
        return [row["event_type"].rsplit(".", 1)[-1] for row in rows]

    def returns(self, auth: dict[str, str]) -> list[dict[str, Any]]:
        """The goods the courier is to take back, as their tour of today lists them."""
        tour = httpx.get(f"{self.api}/couriers/me/tour", headers=auth)
        assert tour.status_code == 200, tour.text
        return list(tour.json()["returns"])

    def proofs(self, job_id: UUID) -> int:
        return len(self.query("SELECT 1 FROM dispatch_proof_photos WHERE job_id = %s", job_id))

    def scan(self, order_id: UUID, auth: dict[str, str]) -> httpx.Response:
        return httpx.post(f"{self.api}/couriers/me/pickups", json={"code": str(order_id)}, headers=auth)

    def deliver(self, job_id: UUID, auth: dict[str, str], photo: bytes | None = None) -> httpx.Response:
        files = {"photo": ("door.jpg", photo, "image/jpeg")} if photo is not None else None
        return httpx.post(
            f"{self.api}/jobs/{job_id}/delivery",
            data={"recipient_name": "Ada Lovelace"},
            files=files,
            headers=auth,
            timeout=30,
        )


@pytest.fixture(scope="module")
def road(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Road]:
    name, signing_key, urls = random_town(), new_signing_key(), {}

    def database(service: str) -> str:
        urls[service] = databases.create(name, service)
        return urls[service]

    dispatch_env = {"DOWNTOWN_TOKEN_SIGNING_KEY": signing_key, "DOWNTOWN_MAX_PROOF_PHOTO_BYTES": str(MAX_PHOTO)}
    running = start_town(
        name,
        ["catalog", "dispatch"],
        database,
        tmp_path_factory.mktemp("town"),
        extra_env={"dispatch": dispatch_env},
    )
    try:
        road = Road(running, urls["dispatch"], signing_key)
        _publish_terms(road)
        yield road
    finally:
        running.stop()


def _publish_terms(road: Road) -> None:
    """The town pays 3.90 a delivery, and a failed attempt is the last."""
    terms = {
        "courier_service_id": road.service_id,
        "zones": [{"name": "Innenstadt", "polygon": CENTRE}],
        "fee": {"pricing": "flat", "cents": 390, "paid_by": "town"},
        "slots": [{"weekday": d, "starts": "08:00", "ends": "20:00", "capacity": 30} for d in range(7)],
        "attempts": 1,
    }
    put = httpx.put(f"{road.api}/delivery-terms", json=terms, headers=road.association)
    assert put.status_code == 200, put.text
    wait_until(lambda: httpx.get(f"{road.api}/delivery-terms").status_code == 200, what="the terms reach the replica")


def refused(response: httpx.Response, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_scan_picks_the_order_up_once_and_strangers_learn_nothing(road: Road) -> None:
    job_id, order_id = road.planned_job(road.anna_id)
    before = road.events(job_id)

    refused(road.scan(order_id, road.ben), 404)  # another courier's job
    refused(road.scan(uuid4(), road.anna), 404)  # an order of no job here (or of another town)
    refused(road.scan(order_id, road.merchant), 403)
    refused(road.scan(order_id, road.elsewhere()), 401)
    refused(httpx.post(f"{road.api}/couriers/me/pickups", json={"code": str(order_id)}), 401)
    refused(httpx.post(f"{road.api}/couriers/me/pickups", json={"code": "no-uuid"}, headers=road.anna), 422)
    assert road.events(job_id) == before

    first = road.scan(order_id, road.anna)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "picking_up" and first.json()["pickups"][0]["picked_up"]
    again = road.scan(order_id, road.anna)
    assert again.status_code == 200, again.text
    assert road.events(job_id) == [*before, "DeliveryOrderPickedUp"]


def test_hostile_deliveries_are_refused_and_write_nothing(road: Road) -> None:
    job_id, order_id = road.planned_job(road.anna_id)
    assert road.scan(order_id, road.anna).status_code == 200
    before = road.events(job_id)

    refused(road.deliver(job_id, road.ben, sample_photo("jpeg", width=400, height=300)), 404)
    refused(road.deliver(job_id, road.merchant), 403)
    refused(road.deliver(job_id, road.elsewhere()), 401)
    refused(road.deliver(job_id, road.anna, decompression_bomb()), 422)  # 400 MP in a few KB
    refused(road.deliver(job_id, road.anna, not_an_image()), 422)
    refused(road.deliver(job_id, road.anna, b"\xff" * (MAX_PHOTO + 10)), 413)
    bad_name = httpx.post(
        f"{road.api}/jobs/{job_id}/delivery", data={"recipient_name": "Ada\x00"}, headers=road.anna, timeout=30
    )
    refused(bad_name, 422)
    refused(_chunked_delivery(road, job_id), 413)
    assert road.events(job_id) == before and road.proofs(job_id) == 0


def _chunked_delivery(road: Road, job_id: UUID) -> httpx.Response:
    """Four times the limit, chunked: no Content-Length for the server to judge it by."""
    head = (
        b'--x\r\nContent-Disposition: form-data; name="photo"; filename="door.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    )

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(4 * MAX_PHOTO // (64 * 1024)):
            yield b"\xff" * (64 * 1024)

    headers = {**road.anna, "Content-Type": "multipart/form-data; boundary=x"}
    request = httpx.Request("POST", f"{road.api}/jobs/{job_id}/delivery", headers=headers, content=body())
    assert "content-length" not in request.headers
    with httpx.Client(timeout=30) as client:
        return client.send(request)


def test_a_delivery_told_twice_at_once_is_delivered_once_with_its_stripped_photo(road: Road) -> None:
    job_id, order_id = road.planned_job(road.anna_id)
    assert road.scan(order_id, road.anna).status_code == 200
    photo = sample_photo("jpeg", width=2400, height=1800, gps=True, text="Tür")

    async def both() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=road.api, timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post(
                        f"/jobs/{job_id}/delivery",
                        data={"recipient_name": "Ada Lovelace"},
                        files={"photo": ("door.jpg", photo, "image/jpeg")},
                        headers=road.anna,
                    )
                    for _ in range(2)
                )
            )

    answers = asyncio.run(both())
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert road.events(job_id).count("DeliveryJobDelivered") == 1
    assert road.events(job_id)[-2:] == ["DeliveryJobDelivered", "DeliveryProofRecorded"]
    assert road.proofs(job_id) == 1
    delivered = road.query(
        "SELECT data FROM events WHERE stream_id = %s AND event_type LIKE %s", str(job_id), "%DeliveryJobDelivered"
    )[0]["data"]
    assert (delivered["town_cents"], delivered["photo_proof"]) == (390, True)

    url = f"{road.api}/jobs/{job_id}/proof.jpg"
    refused(httpx.get(url, headers=road.anna), 403)
    proof = httpx.get(url, headers=road.association)
    assert proof.status_code == 200 and proof.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(proof.content))
    assert max(image.size) == 1600 and not image.getexif() and b"GPS" not in proof.content
    refused(road.deliver(job_id, road.anna), 409)  # told again later


def test_a_failed_attempt_by_the_terms_and_the_goods_back_at_the_shop(road: Road) -> None:
    job_id, order_id = road.planned_job(road.anna_id)
    assert road.scan(order_id, road.anna).status_code == 200
    failure = f"{road.api}/jobs/{job_id}/failure"
    refused(httpx.post(failure, json={"reason": "on_holiday"}, headers=road.anna), 422)
    refused(httpx.post(failure, json={"reason": "not_at_home"}, headers=road.ben), 404)
    failed = httpx.post(failure, json={"reason": "not_at_home"}, headers=road.anna)
    assert failed.status_code == 200, failed.text
    assert failed.json()["status"] == "to_return"  # the town's one attempt was the last
    going_back = wait_until(lambda: road.returns(road.anna), what="the goods to take back on Anna's tour")
    assert [(back["job_id"], back["attempts"]) for back in going_back] == [(str(job_id), 1)]
    assert [(shop["parcels"], shop["shop"]) for shop in going_back[0]["shops"]] == [(1, None)]  # a shop not replicated
    assert road.returns(road.ben) == []  # another courier's goods are not theirs to see
    before = road.events(job_id)

    back = f"{road.api}/jobs/{job_id}/return"
    refused(httpx.post(back, headers=road.ben), 404)
    refused(httpx.post(back, headers=road.merchant), 403)
    refused(httpx.post(back, headers=road.elsewhere()), 401)
    assert road.events(job_id) == before
    returned = httpx.post(back, headers=road.anna)
    assert returned.status_code == 200 and returned.json()["status"] == "returned", returned.text
    assert httpx.post(back, headers=road.association).status_code == 200  # told again: nothing new
    assert road.events(job_id) == [*before, "DeliveryJobReturned"]
    wait_until(lambda: road.returns(road.anna) == [], what="the goods off Anna's list once back")
