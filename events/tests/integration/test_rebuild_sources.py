# SPDX-License-Identifier: Apache-2.0
"""A projection that reads several services' topics is rebuilt from all of them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from psycopg_pool import AsyncConnectionPool

from downtown_events.catalog import OfferListed
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.kafka import ensure_topics, reliable_producer
from downtown_events.runtime.projection import REBUILD, Projection, RowSet, Table
from downtown_events.runtime.rebuild import ProjectionRebuild
from downtown_events.runtime.rebuild_sources import KafkaTopics
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.topics import event_source, events_topic

LISTINGS = Table(name="listings_seen", key="offer_id", columns={"offer_id": "uuid", "topic": "text"})


class ListingsSeen(Projection):
    name = "listings_seen"
    tables = (LISTINGS,)
    event_types = (OfferListed,)
    sources = ("catalog", "market")

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(LISTINGS, event.event.offer_id)] if isinstance(event.event, OfferListed) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        if isinstance(event.event, OfferListed):
            rows.put(LISTINGS, {"offer_id": event.event.offer_id, "topic": event.record.topic})


async def publish_listing(town: str, service: str) -> str:
    producer = reliable_producer("127.0.0.1:19092", client_id="test")
    await producer.start()
    try:
        offer_id = uuid4()
        listed = OfferListed(offer_id=offer_id, merchant_id=uuid4(), kind="product", title="Tee", price_cents=1)
        envelope = CloudEvent(
            str(uuid4()), event_source(town, service), OfferListed.ce_type(), str(offer_id),
            datetime.now(UTC), town, 1, listed.model_dump_json().encode(),
        )  # fmt: skip
        key, value, headers = envelope.to_kafka()
        await producer.send_and_wait(events_topic(town, service), value=value, key=key, headers=headers)
    finally:
        await producer.stop()
    return str(offer_id)


async def test_a_rebuild_reads_every_topic_its_projection_declares(
    pool: AsyncConnectionPool, town: str, kafka_bootstrap: str
) -> None:
    sources = ListingsSeen.sources
    for service in sources:
        await ensure_topics(kafka_bootstrap, town, service, partitions=2)
    offers = {await publish_listing(town, service): events_topic(town, service) for service in sources}

    topics = [events_topic(town, service) for service in sources]
    job = ProjectionRebuild(pool, ListingsSeen(), town=town, source=KafkaTopics(topics, kafka_bootstrap))
    report = await job.run(swap=False, live_wait_seconds=0)

    async with pool.connection() as conn:
        rows = await (await conn.execute(f"SELECT offer_id::text AS id, topic FROM {REBUILD(LISTINGS)}")).fetchall()
    assert {row["id"]: row["topic"] for row in rows} == offers
    assert report.events_read == 2
