# SPDX-License-Identifier: Apache-2.0
"""Every rebuild records what it found, and the association (only it) reads it back over HTTP.

A rebuild of a projection whose live tables agree with the log is recorded as matching and
swapped; one whose live tables miss a row as differing, not swapped, with each table's row
counts; one that fails midway as failed, its note saying why. ``GET /projections/rebuilds``
(mounted by the kit's app factory in every service) lists them newest first to the
association's token, and refuses anyone else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from downtown_events.catalog import OfferListed
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.database import Pool
from downtown_events.runtime.http.app import create_service_app
from downtown_events.runtime.identity import TokenIssuer, new_signing_key, public_key_of
from downtown_events.runtime.kafka import ensure_topics, reliable_producer
from downtown_events.runtime.projection import Projection, RowSet, Table
from downtown_events.runtime.rebuild import ProjectionRebuild
from downtown_events.runtime.rebuild_sources import KafkaTopics
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.settings import ServiceSettings
from downtown_events.topics import event_source, events_topic

LISTINGS = Table(name="offers_listed", key="offer_id", columns={"offer_id": "uuid"})
ASSOCIATION = "the-associations-token-for-the-audit-test"
CATALOG_KEY = new_signing_key()
"""What the catalog signs merchant tokens with; every service trusts its public key."""


class OffersListed(Projection):
    name = "offers_listed"
    tables = (LISTINGS,)
    event_types = (OfferListed,)
    sources = ("catalog",)

    def touches(self, event: ReceivedEvent) -> Iterable[tuple[Table, Any]]:
        return [(LISTINGS, event.event.offer_id)] if isinstance(event.event, OfferListed) else []

    def evolve(self, rows: RowSet, event: ReceivedEvent) -> None:
        if isinstance(event.event, OfferListed):
            rows.put(LISTINGS, {"offer_id": event.event.offer_id})


class BrokenTopics(KafkaTopics):
    """Topics whose reading breaks off midway, as when the broker goes away."""

    async def read_to_end(self, apply: Any, progress: Any) -> None:
        raise ConnectionError("the broker went away after 0 records")


def rebuild_of(
    pool: Pool, town: str, kafka_bootstrap: str, source: type[KafkaTopics] = KafkaTopics
) -> ProjectionRebuild:
    topics = [events_topic(town, "catalog")]
    return ProjectionRebuild(pool, OffersListed(), town=town, source=source(topics, kafka_bootstrap), processes=1)


async def publish_listing(town: str, kafka_bootstrap: str) -> None:
    producer = reliable_producer(kafka_bootstrap, client_id="test")
    await producer.start()
    try:
        offer_id = uuid4()
        listed = OfferListed(offer_id=offer_id, merchant_id=uuid4(), kind="product", title="Tee", price_cents=1)
        envelope = CloudEvent(
            str(uuid4()), event_source(town, "catalog"), OfferListed.ce_type(), str(offer_id),
            datetime.now(UTC), town, 1, listed.model_dump_json().encode(),
        )  # fmt: skip
        key, value, headers = envelope.to_kafka()
        await producer.send_and_wait(events_topic(town, "catalog"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def live_has_read(pool: Pool, town: str, offset: int) -> None:
    """The live consumer has read the topic's one partition up to ``offset`` (writing nothing)."""
    async with pool.connection() as conn:
        await conn.execute(
            "INSERT INTO tracking_offsets (consumer, topic, partition, next_offset) VALUES (%s, %s, 0, %s)",
            (OffersListed().consumer_name, events_topic(town, "catalog"), offset),
        )


@pytest.fixture
def settings(town: str, database_url: str) -> ServiceSettings:
    return ServiceSettings(
        town=town,
        database_url=database_url,
        association_token=ASSOCIATION,
        trusted_token_keys=json.dumps({"catalog-1": f"catalog:{public_key_of(CATALOG_KEY)}"}),
    )


class Container:
    """What the kit's routes read of a service's API container."""

    def __init__(self, settings: ServiceSettings, pool: Pool) -> None:
        self.settings, self.pool, self.handlers = settings, pool, None


async def get(settings: ServiceSettings, pool: Pool, path: str, **headers: str) -> httpx.Response:
    app = create_service_app(title="audit test", description="", settings=settings, open_container=_never, routers=())
    app.state.container = Container(settings, pool)  # as the lifespan would
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers=headers)


async def _never() -> Any:
    raise AssertionError("the test sets the container itself")


async def test_each_rebuild_is_recorded_and_the_association_reads_them_newest_first(
    pool: Pool, town: str, kafka_bootstrap: str, settings: ServiceSettings
) -> None:
    await ensure_topics(kafka_bootstrap, town, "catalog", partitions=1)
    level = await rebuild_of(pool, town, kafka_bootstrap).run(live_wait_seconds=5)  # an empty log: both empty
    assert level.matches and level.swapped

    await publish_listing(town, kafka_bootstrap)
    await live_has_read(pool, town, 1)  # "read" it, but its row is missing from the live table
    differing = await rebuild_of(pool, town, kafka_bootstrap).run(live_wait_seconds=5)
    assert not differing.matches and not differing.swapped and differing.events_read == 1

    with pytest.raises(ConnectionError):
        await rebuild_of(pool, town, kafka_bootstrap, BrokenTopics).run(live_wait_seconds=0)

    answer = await get(settings, pool, "/projections/rebuilds", Authorization=f"Bearer {ASSOCIATION}")
    assert answer.status_code == 200, answer.text
    failed, differed, matched = answer.json()
    assert failed["projection"] == "offers_listed" and not failed["matches"] and not failed["swapped"]
    assert failed["note"] == "failed: ConnectionError: the broker went away after 0 records"
    assert failed["tables"] == []
    assert differed["events_read"] == 1 and not differed["matches"] and not differed["swapped"]
    assert [(t["table"], t["live_rows"], t["rebuilt_rows"], t["matches"]) for t in differed["tables"]] == [
        ("offers_listed", 0, 1, False)
    ]
    assert matched["matches"] and matched["swapped"] and not matched["forced"]
    assert [(t["table"], t["live_rows"], t["rebuilt_rows"], t["matches"]) for t in matched["tables"]] == [
        ("offers_listed", 0, 0, True)
    ]
    assert matched["started_at"] <= matched["finished_at"] <= differed["started_at"]

    one = await get(settings, pool, "/projections/rebuilds?limit=1", Authorization=f"Bearer {ASSOCIATION}")
    assert [row["id"] for row in one.json()] == [failed["id"]]
    too_many = await get(settings, pool, "/projections/rebuilds?limit=101", Authorization=f"Bearer {ASSOCIATION}")
    assert too_many.status_code == 422


async def test_only_the_association_reads_the_rebuilds(pool: Pool, settings: ServiceSettings) -> None:
    merchant = TokenIssuer(town=settings.town, issuer="catalog", key_id="catalog-1", signing_key=CATALOG_KEY)
    token = merchant.issue(subject="7d0b6c1e-5f51-4a0e-9a59-1d2b3c4d5e6f", role="merchant", lifetime_seconds=60)

    nobody = await get(settings, pool, "/projections/rebuilds")
    forged = await get(settings, pool, "/projections/rebuilds", Authorization="Bearer not-a-token-of-this-town")
    shop = await get(settings, pool, "/projections/rebuilds", Authorization=f"Bearer {token}")

    assert nobody.status_code == 401 and nobody.headers["content-type"] == "application/problem+json"
    assert forged.status_code == 401
    assert shop.status_code == 403 and "association" in shop.json()["detail"]


def test_the_route_is_documented_for_the_association(settings: ServiceSettings) -> None:
    app = create_service_app(title="audit test", description="", settings=settings, open_container=_never, routers=())
    operation = app.openapi()["paths"]["/projections/rebuilds"]["get"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert {"200", "401", "403", "422", "503"} <= set(operation["responses"])
