# SPDX-License-Identifier: AGPL-3.0-or-later
"""Fuzz the dispatch API of a scratch town from its OpenAPI document (see tests/support/fuzzing.py).

The town is a random one started for this module (catalog and dispatch), never a demo town,
and not the session's ``delivery_town``: the association's operations, fuzzed with its token,
add couriers and shifts, remove couriers, pin jobs and replace the town's terms, which is
what the planner of a shared town plans the other modules' deliveries with.

The association's operations carry its token, a courier's operations a courier's token (of a
courier with jobs on the road), signing out the token of another courier (it voids every
token of theirs). No operation of dispatch admits a merchant: a merchant's token is only
refused, which the checks see without one. Half of the generated cases use ids that exist
(the courier service, a courier who is not the one on the road, the jobs, their orders'
codes, the shop, this month), so the checks reach past the 404 of a random id. The jobs are
put on the road by appending their events to dispatch's store, as the planner would, for a
day ahead that the worker does not plan (as dispatch's integration tests do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import psycopg
import pytest
import schemathesis
from psycopg.rows import dict_row

from conftest import Databases
from dispatch.api.app import create_app
from dispatch.domain.private_events import DeliveryDropOffRecorded
from dispatch.settings import DispatchSettings
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import ArrivalWindow, DeliveryJobOpened, DeliveryJobPickupAdded, DeliveryJobPlanned
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff
from downtown_events.runtime.postgres_store import append_on
from tests.support.catalog_client import register
from tests.support.courier_town import BAKERY, DOOR, Association, terms
from tests.support.fuzzing import FuzzTarget, fuzz_operation, operations
from tests.support.local_stack import RunningTown, random_town, start_town
from tests.support.mailbox import Mailbox
from tests.support.polling import wait_until

pytestmark = pytest.mark.e2e

DOCUMENT = create_app(DispatchSettings(town="fuzz", database_url="postgresql://localhost/unused")).openapi()
COURIER_OPERATIONS = ("/couriers/me/", "/jobs/{job_id}/delivery", "/jobs/{job_id}/failure", "/jobs/{job_id}/return")
PUBLIC_OPERATIONS = ("/couriers/sign-in-links", "/couriers/sessions")
SIGN_OUT = ("DELETE", "/couriers/sessions")
AHEAD = timedelta(days=3)
"""The jobs' slot: the worker plans today and tomorrow only, so it leaves them where they are put."""


@pytest.fixture(scope="module")
def dispatch_town(
    databases: Databases, tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[tuple[RunningTown, str]]:
    """Catalog and dispatch of a random town (dispatch mails sign-in links to ``mailbox``), and
    dispatch's database."""
    name, urls = random_town(), {}

    def database(service: str) -> str:
        urls[service] = databases.create(name, service)
        return urls[service]

    running = start_town(
        name, ["catalog", "dispatch"], database, tmp_path_factory.mktemp("town"), extra_env={"dispatch": mailbox.env}
    )
    try:
        yield running, urls["dispatch"]
    finally:
        running.stop()


def _courier(association: Association, service_id: str, name: str) -> tuple[str, dict[str, str]]:
    body = {"display_name": name, "vehicle": "cargo_bike", "capacity": 8, "email": f"{name.lower()}@example.de"}
    courier_id = association.created(f"/courier-services/{service_id}/couriers", body)["courier_id"]
    issued = wait_until(
        lambda: _answered(association.call("POST", f"/couriers/{courier_id}/token"), 201),
        what=f"the roster knows {name}, so a token is issued",
    )
    assert issued is not None
    return courier_id, {"Authorization": f"Bearer {issued.json()['token']}"}


def _answered(response: httpx.Response, status: int = 200) -> httpx.Response | None:
    """The response once it has ``status`` (a read model dispatch checks may lag a moment)."""
    return response if response.status_code == status else None


def _on_the_road(database_url: str, courier_id: str, merchant_id: str) -> tuple[str, str]:
    """A job of one order at the shop, planned for the courier: its id and the order's (the slip's code)."""
    job_id, order_id = uuid4(), uuid4()
    starts = datetime.now(UTC).replace(microsecond=0) + AHEAD
    slot = ArrivalWindow(starts_at=starts, ends_at=starts + timedelta(hours=2))
    drop_off = DeliveryDropOff(
        name="Ada", street="Am Markt 1", postal_code="48624", city="Schöppingen", pin=GeoPoint(**DOOR)
    )
    events: list[IntegrationEvent] = [
        DeliveryJobOpened(job_id=job_id, checkout_id=uuid4(), zone_id=uuid4(), slot=slot, expected_orders=1),
        DeliveryJobPickupAdded(
            job_id=job_id, order_id=order_id, merchant_id=UUID(merchant_id), shop=GeoPoint(**BAKERY), fee_cents=390
        ),
        DeliveryDropOffRecorded(job_id=job_id, drop_off=drop_off),
        DeliveryJobPlanned(job_id=job_id, courier_id=UUID(courier_id), tour_id=uuid4(), pickup_by=starts, arrives=slot),
    ]

    async def append() -> None:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True, row_factory=dict_row) as conn:
            await append_on(conn, "dispatch", str(job_id), 0, events, None)

    asyncio.run(append())
    return str(job_id), str(order_id)


def dispatch_target(town: RunningTown, database_url: str) -> FuzzTarget:
    """The running dispatch API of ``town`` with its terms, couriers, a shop and two jobs on the
    road (one whose goods were picked up), and who calls what."""
    association = Association(town)
    service_id = association.created("/courier-services", {"name": "Radkurier Fuzz", "phone": "02555 9"})[
        "courier_service_id"
    ]
    put = association.call("PUT", "/delivery-terms", terms(service_id))
    assert put.status_code == 200, put.text
    rider_id, rider = _courier(association, service_id, "Lena")
    spare_id, _ = _courier(association, service_id, "Jonas")  # the association's operations name this one
    _, leaving = _courier(association, service_id, "Elif")  # signs out: every token of hers void
    merchant_id, _ = register(town["catalog"], name="Fuzz & Söhne")
    dispatch = town["dispatch"].api
    wait_until(
        lambda: httpx.get(f"{dispatch}/merchants/{merchant_id}").status_code == 200,
        what="the shop known to dispatch's replica of the catalog",
    )
    jobs = [_on_the_road(database_url, rider_id, merchant_id) for _ in range(2)]
    picked = jobs[1][1]
    scanned = wait_until(
        lambda: _answered(httpx.post(f"{dispatch}/couriers/me/pickups", json={"code": picked}, headers=rider)),
        what="the order's code known to dispatch, its goods picked up",
    )
    assert scanned is not None and scanned.json()["status"] == "picking_up", scanned

    known: dict[str, list[Any]] = {
        "courier_service_id": [service_id],
        "courier_id": [spare_id],
        "job_id": [job_id for job_id, _ in jobs],
        "code": [order_id for _, order_id in jobs],
        "merchant_id": [merchant_id],
        "month": [datetime.now(UTC).strftime("%Y-%m")],
    }

    def credentials(operation: schemathesis.APIOperation) -> dict[str, str]:
        if (operation.method.upper(), operation.path) == SIGN_OUT:
            return leaving
        if operation.path.startswith(COURIER_OPERATIONS):
            return rider
        if operation.path.startswith(PUBLIC_OPERATIONS):
            return {}
        return association.headers

    return FuzzTarget(dispatch, credentials, known)


@pytest.fixture(scope="module")
def dispatch_fuzz_target(dispatch_town: tuple[RunningTown, str]) -> FuzzTarget:
    return dispatch_target(*dispatch_town)


@pytest.mark.parametrize(("method", "path"), operations(DOCUMENT))
def test_the_dispatch_api_answers_generated_requests_as_documented(
    method: str, path: str, dispatch_fuzz_target: FuzzTarget
) -> None:
    fuzz_operation(dispatch_fuzz_target, method, path)
