# SPDX-License-Identifier: AGPL-3.0-or-later
"""The courier roster on PostgreSQL: folded by the projection writer, read back by planning's
question (who rides in this period) and a token's (is this courier still active, since when are
their tokens void)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from uuid import UUID, uuid4

from dispatch.projections.couriers import CourierProjection, CourierRoster, RosterCourier
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    CourierAdded,
    CourierDroppedOut,
    CourierRemoved,
    CourierServiceRegistered,
    CourierShiftScheduled,
    CourierTokensRevoked,
)
from downtown_events.envelope import CloudEvent
from downtown_events.geo import GeoPoint
from downtown_events.runtime.database import Pool
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEPOT = GeoPoint(lat=51.94, lon=7.17)
_offsets = count()
_versions = count(1)


def received(service_id: UUID, event: IntegrationEvent) -> ReceivedEvent:
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/dispatch",
        type=event.ce_type(),
        subject=str(service_id),
        time=NINE,
        town="testtown",
        streamversion=next(_versions),
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    return ReceivedEvent(
        KafkaRecord("testtown.dispatch.events", 0, next(_offsets), key, value, headers), envelope, event
    )


def shift(service: UUID, courier: UUID, starts: datetime, hours: int) -> CourierShiftScheduled:
    return CourierShiftScheduled(
        courier_service_id=service,
        courier_id=courier,
        shift_id=uuid4(),
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        start=DEPOT,
    )


async def test_planning_gets_the_couriers_riding_and_not_the_removed_or_dropped_out(
    pool: Pool,
) -> None:
    projection = CourierProjection()
    writer, roster = ProjectionWriter(projection), CourierRoster()
    service, anna, ben, cem, dora = uuid4(), uuid4(), uuid4(), uuid4(), uuid4()
    added = [
        CourierAdded(courier_service_id=service, courier_id=who, display_name=name, vehicle="bike", capacity=6)
        for who, name in ((anna, "Anna"), (ben, "Ben"), (cem, "Cem"), (dora, "Dora"))
    ]
    async with pool.connection() as conn:
        await writer.create_tables(conn)
        await writer.handle(
            conn,
            [
                received(service, CourierServiceRegistered(courier_service_id=service, name="Radkurier", phone="1")),
                *(received(service, event) for event in added),
                received(service, shift(service, anna, NINE, 4)),
                received(service, shift(service, anna, NINE + timedelta(hours=5), 3)),
                received(service, shift(service, ben, NINE, 8)),
                received(service, shift(service, cem, NINE, 8)),
                received(service, shift(service, dora, NINE - timedelta(days=1), 8)),
            ],
        )
        await writer.handle(
            conn,
            [
                received(service, CourierRemoved(courier_service_id=service, courier_id=ben)),
                received(service, CourierTokensRevoked(courier_service_id=service, courier_id=dora, revoked_at=NINE)),
                received(
                    service,
                    CourierDroppedOut(courier_service_id=service, courier_id=cem, at=NINE + timedelta(hours=1)),
                ),
            ],
        )
        riding = await roster.couriers_on_shift(conn, NINE + timedelta(hours=2), NINE + timedelta(hours=10))
        assert [(c.courier_id, c.shift_starts, c.shift_ends) for c in riding] == [
            (anna, NINE, NINE + timedelta(hours=4))
        ]
        assert (riding[0].position.lat, riding[0].position.lon, riding[0].kind) == (DEPOT.lat, DEPOT.lon, "bike")
        assert await roster.courier(conn, ben) == RosterCourier(ben, service, "Ben", "bike", 6, active=False)
        assert await roster.courier(conn, uuid4()) is None
        signed_out = await roster.courier(conn, dora)  # her tokens until then are void, she still rides
        assert signed_out == RosterCourier(dora, service, "Dora", "bike", 6, active=True, tokens_valid_after=NINE)
        [listed] = await roster.services(conn, shifts_after=NINE)
        assert [c.display_name for c in listed.couriers] == ["Anna", "Ben", "Cem", "Dora"]
        dropped = [s for s in listed.shifts if s.courier_id == cem]
        assert [s.dropped_out_at for s in dropped] == [NINE + timedelta(hours=1)]
        assert len(listed.shifts) == 4  # Dora's shift of yesterday is over
