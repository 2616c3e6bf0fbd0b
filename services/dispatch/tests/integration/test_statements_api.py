# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier service's monthly statement on PostgreSQL: the statements and the roster folded by
the projection writer, read through the route in-process (ASGI) as the association: the
month cut at Berlin's midnights, only the service's own couriers, amounts formatted in the
reader's language; anyone else refused, an unknown service a 404, a malformed month a 422."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from itertools import count
from types import SimpleNamespace
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from dispatch.api.app import create_app
from dispatch.api.deps import get_principal
from dispatch.projections.couriers import CourierProjection
from dispatch.projections.statements import StatementsProjection
from dispatch.settings import DispatchSettings
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    CourierAdded,
    CourierServiceRegistered,
    DeliveryAttemptFailed,
    DeliveryJobDelivered,
    DeliveryJobReturned,
)
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.database import Pool
from downtown_events.runtime.http.deps import get_container, get_read_connection
from downtown_events.runtime.principal import Principal
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

_offsets = count()
ASSOCIATION = Principal(role="association", subject=None)


def received(stream: UUID, event: IntegrationEvent) -> ReceivedEvent:
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/dispatch",
        type=event.ce_type(),
        subject=str(stream),
        time=datetime(2026, 12, 1, tzinfo=UTC),
        town="testtown",
        streamversion=1,
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    return ReceivedEvent(
        KafkaRecord("testtown.dispatch.events", 0, next(_offsets), key, value, headers), envelope, event
    )


def delivered(courier: UUID, at: datetime, fee: int, town: int) -> ReceivedEvent:
    job = uuid4()
    event = DeliveryJobDelivered(
        job_id=job, order_ids=[uuid4()], courier_id=courier, at=at, fee_cents=fee, town_cents=town
    )
    return received(job, event)


class Town:
    """Two courier services, their couriers' month folded into the real tables."""

    def __init__(self) -> None:
        self.service, self.other = uuid4(), uuid4()
        self.anna, self.ben, self.stranger = uuid4(), uuid4(), uuid4()
        self.failed_job = uuid4()

    def events(self) -> list[ReceivedEvent]:
        def added(service: UUID, courier: UUID, name: str) -> ReceivedEvent:
            event = CourierAdded(
                courier_service_id=service, courier_id=courier, display_name=name, vehicle="bike", capacity=6
            )
            return received(service, event)

        failed = DeliveryAttemptFailed(
            job_id=self.failed_job,
            order_ids=[uuid4()],
            courier_id=self.ben,
            attempt=1,
            reason="not_at_home",
            at=datetime(2026, 12, 10, 17, tzinfo=UTC),
            then="return",
        )
        returned = DeliveryJobReturned(
            job_id=self.failed_job, order_ids=failed.order_ids, at=datetime(2026, 12, 10, 18, tzinfo=UTC)
        )
        return [
            received(self.service, CourierServiceRegistered(courier_service_id=self.service, name="Radkurier Dülmen")),
            received(self.other, CourierServiceRegistered(courier_service_id=self.other, name="Lastenrad eG")),
            # a delivery before its courier's addition is read: attributed when the statement is read
            delivered(self.anna, datetime(2026, 12, 7, 10, tzinfo=UTC), fee=0, town=450),
            added(self.service, self.anna, "Anna"),
            added(self.service, self.ben, "Ben"),
            added(self.other, self.stranger, "Cleo"),
            delivered(self.ben, datetime(2026, 12, 31, 23, 30, tzinfo=UTC), fee=250, town=200),  # 1 January in Berlin
            delivered(self.ben, datetime(2026, 11, 30, 23, 15, tzinfo=UTC), fee=1_250, town=0),  # 1 December in Berlin
            delivered(self.stranger, datetime(2026, 12, 8, 9, tzinfo=UTC), fee=300, town=300),  # the other service's
            received(self.failed_job, failed),
            received(self.failed_job, returned),
        ]


@pytest.fixture
async def client(pool: Pool) -> AsyncIterator[tuple[httpx.AsyncClient, Town, dict[str, Any]]]:
    town, caller = Town(), {"principal": ASSOCIATION}
    events = town.events()
    async with pool.connection() as conn:
        for projection in (CourierProjection(), StatementsProjection()):
            writer = ProjectionWriter(projection)
            await writer.create_tables(conn)
            mine = [event for event in events if type(event.event) in (projection.event_types or ())]
            for event in mine:  # one batch per event: rows come back from the tables between them
                await writer.handle(conn, [event])

    async def connection() -> AsyncIterator[Any]:
        async with pool.connection() as conn:
            yield conn

    settings = DispatchSettings(town="statement-town", database_url="postgresql://localhost/x")
    app = create_app(settings)
    app.dependency_overrides[get_container] = lambda: SimpleNamespace(settings=settings)
    app.dependency_overrides[get_principal] = lambda: caller["principal"]
    app.dependency_overrides[get_read_connection] = connection
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://statement-town") as http:
        yield http, town, caller


async def test_the_month_of_a_courier_service_with_who_pays_what(client: Any) -> None:
    http, town, _ = client

    response = await http.get(f"/courier-services/{town.service}/statements/2026-12")

    assert response.status_code == 200, response.text
    statement = response.json()
    assert (statement["courier_service"], statement["timezone"]) == ("Radkurier Dülmen", "Europe/Berlin")
    assert (statement["deliveries"], statement["customers_fees_cents"], statement["town_owes_cents"]) == (2, 1250, 450)
    assert (statement["customers_fees"], statement["town_owes"]) == ("12,50\xa0€", "4,50\xa0€")
    assert [(line["date"], line["fee_cents"], line["town_cents"], line["town"]) for line in statement["lines"]] == [
        ("2026-12-01", 1250, 0, "0,00\xa0€"),
        ("2026-12-07", 0, 450, "4,50\xa0€"),
    ]
    assert (statement["failed_attempts"], statement["returns"]) == (1, 1)
    assert [(line["kind"], line["job_id"], line["courier_id"]) for line in statement["unpaid"]] == [
        ("failed", str(town.failed_job), str(town.ben)),
        ("returned", str(town.failed_job), str(town.ben)),
    ]

    january = (await http.get(f"/courier-services/{town.service}/statements/2027-01")).json()
    assert (january["deliveries"], january["customers_fees_cents"], january["town_owes_cents"]) == (1, 250, 200)
    english = await http.get(f"/courier-services/{town.service}/statements/2027-01", headers={"Accept-Language": "en"})
    assert english.json()["lines"][0]["fee"] == "€2.50"


async def test_only_the_association_reads_it_and_bad_questions_are_refused(client: Any) -> None:
    http, town, caller = client

    unknown = await http.get(f"/courier-services/{uuid4()}/statements/2026-12")
    malformed = await http.get(f"/courier-services/{town.service}/statements/2026-13")
    caller["principal"] = Principal(role="merchant", subject=uuid4())
    merchant = await http.get(f"/courier-services/{town.service}/statements/2026-12")

    assert unknown.status_code == 404 and "no courier service" in unknown.text
    assert unknown.headers["content-type"].startswith("application/problem+json")
    assert malformed.status_code == 422 and "month" in malformed.text
    assert merchant.status_code == 403 and "association" in merchant.text
