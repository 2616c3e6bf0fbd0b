# SPDX-License-Identifier: Apache-2.0
"""The delivery terms replica's fold over plain rows, and the terms its row reads back as."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import count
from uuid import UUID, uuid4

from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import (
    CourierServiceRegistered,
    DeliveryTermsSet,
    DeliveryZoneTerms,
    FeeRuleTerms,
    SlotTerms,
)
from downtown_events.envelope import CloudEvent
from downtown_events.geo import GeoPoint
from downtown_events.runtime.delivery_terms import (
    CURRENT,
    DELIVERY_TERMS_COLUMNS,
    delivery_terms_replica,
    terms_of,
)
from downtown_events.runtime.projection import Row, RowSet
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPLICA = delivery_terms_replica("test_delivery_terms")
_offsets = count()


class Stream:
    """A terms stream as dispatch publishes it: numbered, a minute apart."""

    def __init__(self, terms_id: UUID, start: datetime = START) -> None:
        self.terms_id, self.version, self.time = terms_id, 0, start

    def __call__(self, event: IntegrationEvent) -> ReceivedEvent:
        self.version += 1
        self.time += timedelta(minutes=1)
        envelope = CloudEvent(
            id=str(uuid4()),
            source="/dispatch",
            type=event.ce_type(),
            subject=str(self.terms_id),
            time=self.time,
            town="testtown",
            streamversion=self.version,
            data=event.model_dump_json().encode(),
        )
        key, value, headers = envelope.to_kafka()
        return ReceivedEvent(
            KafkaRecord("testtown.dispatch.events", 0, next(_offsets), key, value, headers), envelope, event
        )


def terms(terms_id: UUID, fee_cents: int = 390) -> DeliveryTermsSet:
    return DeliveryTermsSet(
        terms_id=terms_id,
        courier_service_id=uuid4(),
        zones=[
            DeliveryZoneTerms(
                zone_id=uuid4(),
                name="Innenstadt",
                polygon=[GeoPoint(lat=51.0, lon=7.0), GeoPoint(lat=51.0, lon=7.1), GeoPoint(lat=51.1, lon=7.05)],
                postal_codes=["48624"],
            )
        ],
        fee=FeeRuleTerms(pricing="flat", cents=fee_cents),
        slots=[
            SlotTerms(weekday=1, starts=time(16), ends=time(18), capacity=12),
            SlotTerms(
                weekday=3,
                starts=time(9),
                ends=time(12),
                capacity=40,
                kind="town_round",
                label="Donnerstagsrunde",
                fee=FeeRuleTerms(pricing="flat", cents=150),
            ),
        ],
        lead_minutes=90,
    )


def row_of(rows: RowSet) -> Row:
    row = rows.get(REPLICA.table, CURRENT)
    assert row is not None
    return row


def test_a_declaration_names_the_projection_and_its_table_and_reads_dispatchs_topic() -> None:
    ordering, catalog = delivery_terms_replica("ordering_delivery_terms"), delivery_terms_replica("x", name="other")

    assert (ordering.name, [table.name for table in ordering.tables]) == ("delivery_terms", ["ordering_delivery_terms"])
    assert (catalog.name, catalog.table.name) == ("other", "x")
    assert ordering.sources == ("dispatch",) and ordering.consumer_name == "projection:delivery_terms"
    assert list(ordering.table.columns) == list(DELIVERY_TERMS_COLUMNS) and ordering.table.key == "terms_key"
    assert ordering.reads() == frozenset({"downtown.dispatch.DeliveryTermsSet"})


def test_the_terms_are_kept_whole_and_read_back_as_the_event() -> None:
    terms_id = uuid4()
    event = Stream(terms_id)(terms(terms_id))

    row = row_of(REPLICA.fold(RowSet(), [event]))

    assert (row["terms_id"], row["stream_version"], row["set_at"]) == (terms_id, 1, event.envelope.time)
    assert terms_of(row) == event.event
    assert terms_of(None) is None and terms_of({"terms_key": CURRENT, "terms": None}) is None


def test_each_set_replaces_the_one_before() -> None:
    terms_id = uuid4()
    stream = Stream(terms_id)
    first, second = stream(terms(terms_id, 390)), stream(terms(terms_id, 450))

    rows = REPLICA.fold(RowSet(), [first, second])

    read = terms_of(row_of(rows))
    assert read is not None and read.fee.cents == 450 and row_of(rows)["stream_version"] == 2


def test_of_two_streams_the_later_set_wins_in_whichever_order_they_are_read() -> None:
    old_id, new_id = uuid4(), uuid4()
    old = Stream(old_id)(terms(old_id, 390))
    new = Stream(new_id, START + timedelta(hours=1))(terms(new_id, 500))

    for order in ([old, new], [new, old]):
        row = row_of(REPLICA.fold(RowSet(), order))
        assert row["terms_id"] == new_id


def test_other_events_of_dispatch_touch_nothing() -> None:
    service_id = uuid4()
    event = Stream(service_id)(CourierServiceRegistered(courier_service_id=service_id, name="Lastenrad Dülmen"))

    assert list(REPLICA.touches(event)) == []
    assert not REPLICA.fold(RowSet(), [event]).changed
