# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association sets up the town's delivery through dispatch's API, next to a catalog on
the real broker and database: courier services, couriers, shifts, the terms, a courier's
token (refused once the courier is removed), and bad input refused with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest

from conftest import Databases
from tests.support.local_stack import RunningTown, random_town, start_town
from tests.support.polling import wait_until

DEPOT = {"lat": 51.84, "lon": 7.27}
CENTRE = [{"lat": 51.83, "lon": 7.26}, {"lat": 51.85, "lon": 7.26}, {"lat": 51.85, "lon": 7.30}]


@pytest.fixture(scope="module")
def town(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningTown]:
    name = random_town()
    running = start_town(
        name, ["catalog", "dispatch"], lambda service: databases.create(name, service), tmp_path_factory.mktemp("town")
    )
    try:
        yield running
    finally:
        running.stop()


class Association:
    def __init__(self, town: RunningTown) -> None:
        self.api = town["dispatch"].api
        self.headers = {"Authorization": f"Bearer {town.association_token}"}

    def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return httpx.post(f"{self.api}{path}", json=body, headers={**self.headers, **headers})

    def service(self, name: str = "Radkurier") -> str:
        response = self.post("/courier-services", {"name": name, "phone": "02594 1"})
        assert response.status_code == 201, response.text
        return str(response.json()["courier_service_id"])

    def courier(self, service_id: str, name: str = "Anna") -> str:
        body = {"display_name": name, "vehicle": "cargo_bike", "capacity": 8}
        response = self.post(f"/courier-services/{service_id}/couriers", body)
        assert response.status_code == 201, response.text
        return str(response.json()["courier_id"])

    def shift(self, service_id: str, courier_id: str, starts: datetime, hours: float, **start: float) -> httpx.Response:
        body = {
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=hours)).isoformat(),
            "start": start or DEPOT,
        }
        return self.post(f"/courier-services/{service_id}/couriers/{courier_id}/shifts", body)


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def refused(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.text, response.text


def test_the_association_registers_a_service_its_couriers_and_their_shifts(town: RunningTown) -> None:
    association = Association(town)
    key = {"Idempotency-Key": f"service-{uuid4()}"}
    first = association.post("/courier-services", {"name": "Radkurier Dülmen", "phone": "02594 1"}, **key)
    again = association.post("/courier-services", {"name": "Radkurier Dülmen", "phone": "02594 1"}, **key)
    assert (first.status_code, again.status_code) == (201, 200)
    service_id = first.json()["courier_service_id"]
    assert again.json()["courier_service_id"] == service_id
    refused(association.post("/courier-services", {"name": "Other", "phone": ""}, **key), 422, "Idempotency-Key")
    anna = association.courier(service_id)
    key = {"Idempotency-Key": f"courier-{uuid4()}"}
    ben = {"display_name": "Ben", "vehicle": "car", "capacity": 20}
    path = f"/courier-services/{service_id}/couriers"
    added, retried = association.post(path, ben, **key), association.post(path, ben, **key)
    assert added.status_code == retried.status_code == 201 and added.json() == retried.json()
    refused(association.post(path, {**ben, "capacity": 21}, **key), 422, "Idempotency-Key")

    starts = now() - timedelta(hours=1)
    assert association.shift(service_id, anna, starts, 8).status_code == 201
    refused(association.shift(service_id, anna, starts + timedelta(hours=7), 2), 422, "has a shift from")
    refused(association.shift(service_id, anna, starts + timedelta(days=1), 15), 422, "at most 14 hours")
    refused(association.shift(service_id, anna, starts + timedelta(days=1), 0), 422, "ends after it starts")
    refused(association.shift(service_id, anna, starts + timedelta(days=2), 2, lat=91, lon=7), 422, "lat")
    refused(association.shift(service_id, str(uuid4()), starts + timedelta(days=2), 2), 404, "no courier")
    refused(association.shift(str(uuid4()), anna, starts + timedelta(days=2), 2), 404, "no courier service")

    def listed() -> dict[str, Any] | None:
        response = httpx.get(f"{association.api}/courier-services", headers=association.headers)
        assert response.status_code == 200, response.text
        mine = [s for s in response.json() if s["courier_service_id"] == service_id]
        return mine[0] if mine and mine[0]["shifts"] else None

    service = wait_until(listed, what="the roster shows the service, its courier and the shift") or {}
    assert [(c["display_name"], c["active"]) for c in service["couriers"]] == [("Anna", True), ("Ben", True)]
    assert [s["courier_id"] for s in service["shifts"]] == [anna]


def test_bad_input_is_refused_with_a_reason_and_nothing_written(town: RunningTown) -> None:
    association = Association(town)
    service_id = association.service()
    api, headers = association.api, {**association.headers, "Content-Type": "application/json"}
    nan_shift = (
        '{"starts_at": "2026-12-07T08:00:00+00:00", "ends_at": "2026-12-07T12:00:00+00:00",'
        ' "start": {"lat": NaN, "lon": 7}}'
    )
    courier_id = association.courier(service_id)
    response = httpx.post(
        f"{api}/courier-services/{service_id}/couriers/{courier_id}/shifts", content=nan_shift, headers=headers
    )
    refused(response, 422, "start")
    refused(association.post("/courier-services", {"name": "Rad\x00kurier"}), 422, "name")
    refused(association.post("/courier-services", {"name": "Rad\u202ekurier"}), 422, "name")
    bad_courier = {"display_name": "Ben", "vehicle": "rocket", "capacity": 2}
    refused(association.post(f"/courier-services/{service_id}/couriers", bad_courier), 422, "vehicle")
    naive = {"starts_at": "2026-12-07T08:00:00", "ends_at": "2026-12-07T12:00:00", "start": DEPOT}
    refused(association.post(f"/courier-services/{service_id}/couriers/{courier_id}/shifts", naive), 422, "starts_at")
    refused(httpx.post(f"{api}/courier-services", json={"name": "Nobody"}), 401, "Bearer")


def terms(service_id: str, **changed: Any) -> dict[str, Any]:
    return {
        "courier_service_id": service_id,
        "zones": [{"name": "Innenstadt", "polygon": CENTRE}, {"name": "Hiddingsel", "postal_codes": ["48249"]}],
        "fee": {"pricing": "flat", "cents": 390, "free_above_cents": 5000},
        "slots": [{"weekday": 3, "starts": "14:00", "ends": "18:00", "capacity": 30, "kind": "town_round"}],
        "lead_minutes": 60,
        "attempts": 2,
        **changed,
    }


def test_the_association_sets_the_towns_terms_and_anyone_reads_them(town: RunningTown) -> None:
    association = Association(town)
    service_id = association.service()
    put = httpx.put(f"{association.api}/delivery-terms", json=terms(service_id), headers=association.headers)
    assert put.status_code == 200, put.text
    published = put.json()
    assert [zone["name"] for zone in published["zones"]] == ["Innenstadt", "Hiddingsel"]
    again = httpx.put(f"{association.api}/delivery-terms", json=terms(service_id), headers=association.headers)
    assert [z["zone_id"] for z in again.json()["zones"]] == [z["zone_id"] for z in published["zones"]]

    def current() -> dict[str, Any] | None:
        response = httpx.get(f"{association.api}/delivery-terms")  # public: no token
        return response.json() if response.status_code == 200 else None

    assert wait_until(current, what="the terms reach the replica") == published

    def put_refused(body: dict[str, Any], status: int, words: str) -> None:
        refused(httpx.put(f"{association.api}/delivery-terms", json=body, headers=association.headers), status, words)

    put_refused(terms(service_id, zones=[{"name": "Punkt", "polygon": [CENTRE[0]] * 3}]), 422, "three distinct")
    put_refused(terms(service_id, zones=[{"name": "Dorf", "postal_codes": ["4824"]}]), 422, "five digits")
    put_refused(
        terms(service_id, zones=[{"name": f"Z{n}", "postal_codes": ["48249"]} for n in range(21)]), 422, "zones"
    )
    put_refused(terms(service_id, zones=[{"name": "Z\x07", "postal_codes": ["48249"]}]), 422, "control character")
    put_refused(terms(service_id, fee={"pricing": "flat", "cents": -1}), 422, "cents")
    put_refused(terms(str(uuid4())), 404, "courier_service_id")
    refused(httpx.put(f"{association.api}/delivery-terms", json=terms(service_id)), 401, "Bearer")
    assert current() == published  # nothing refused was written


def test_a_courier_token_works_until_the_courier_is_removed(town: RunningTown) -> None:
    association = Association(town)
    service_id = association.service()
    anna, ben = association.courier(service_id, "Anna"), association.courier(service_id, "Ben")
    assert association.shift(service_id, anna, now() - timedelta(hours=1), 6).status_code == 201

    def token_of(courier_id: str) -> dict[str, Any] | None:
        response = association.post(f"/couriers/{courier_id}/token", None)
        return response.json() if response.status_code == 201 else None

    issued = wait_until(lambda: token_of(anna), what="the roster knows the courier, so a token is issued") or {}
    assert datetime.fromisoformat(issued["expires_at"]) > now() + timedelta(days=29)
    courier = {"Authorization": f"Bearer {issued['token']}"}
    api = association.api

    ahead = {"at": (now() + timedelta(hours=2)).isoformat()}
    refused(httpx.post(f"{api}/couriers/{anna}/drop-out", json=ahead, headers=courier), 422, "when it happens")
    dropped = httpx.post(f"{api}/couriers/{anna}/drop-out", json={"position": DEPOT}, headers=courier)
    assert dropped.status_code == 200, dropped.text

    def dropped_shift() -> dict[str, Any] | None:
        listed = httpx.get(f"{api}/courier-services", headers=association.headers).json()
        shifts = [s for service in listed for s in service["shifts"] if s["courier_id"] == anna]
        return shifts[0] if shifts and shifts[0]["dropped_out_at"] else None

    shift = wait_until(dropped_shift, what="the roster shows the drop-out") or {}
    assert shift["drop_out_position"] == DEPOT and shift["dropped_out_at"] == dropped.json()["at"]
    refused(httpx.post(f"{api}/couriers/{ben}/drop-out", json={}, headers=courier), 404, "no courier")
    refused(httpx.post(f"{api}/courier-services", json={"name": "Mine"}, headers=courier), 403, "association")
    refused(httpx.post(f"{api}/couriers/{anna}/token", headers=courier), 403, "association")

    removed = httpx.delete(f"{api}/courier-services/{service_id}/couriers/{anna}", headers=association.headers)
    assert removed.status_code == 204, removed.text
    wait_until(
        lambda: httpx.post(f"{api}/couriers/{anna}/drop-out", json={}, headers=courier).status_code == 401,
        what="the removed courier's token is refused",
    )
    refused(association.post(f"/couriers/{anna}/token", None), 422, "removed")
    refused(association.shift(service_id, anna, now() + timedelta(days=1), 4), 422, "removed")
