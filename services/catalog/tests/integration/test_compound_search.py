# SPDX-License-Identifier: AGPL-3.0-or-later
"""German search against a real PostgreSQL: compounds found by their parts, typos by
trigram similarity, and nothing found that is not there.

A fresh database per module (random name), migrated as a town's catalog is (pg_trgm) and
filled through the same :class:`ProjectionWriter` the worker uses.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
import pytest_asyncio
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from catalog.bootstrap import SERVICE_MIGRATIONS
from catalog.projections import PROJECTIONS
from catalog.projections.queries import search_offers
from downtown_events.catalog import Address, MerchantProfile, MerchantRegistered, OfferDetailsChanged, OfferListed
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.database import migrate
from downtown_events.runtime.projection import ProjectionWriter
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

Conn = AsyncConnection[Any]

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SERVER = os.environ.get("DOWNTOWN_TEST_POSTGRES", "postgresql://downtown@127.0.0.1:15432")

FAHRRADLADEN, WEINHAUS, KAESEREI = (uuid4() for _ in range(3))
SCHLOSS, KETTENOEL, SPAETBURGUNDER, BERGKAESE, ANHAENGER, RENAMED = (uuid4() for _ in range(6))

_offsets = count()
_versions: dict[UUID, int] = {}


def received(aggregate_id: UUID, event: IntegrationEvent) -> ReceivedEvent:
    offset = next(_offsets)
    _versions[aggregate_id] = _versions.get(aggregate_id, 0) + 1
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/catalog",
        type=event.ce_type(),
        subject=str(aggregate_id),
        time=datetime(2024, 3, 1, 8, tzinfo=UTC) + timedelta(minutes=offset),
        town="testtown",
        streamversion=_versions[aggregate_id],
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    return ReceivedEvent(KafkaRecord("testtown.catalog.events", 0, offset, key, value, headers), envelope, event)


def register(merchant_id: UUID, name: str, category: str) -> ReceivedEvent:
    profile = MerchantProfile(
        name=name,
        category=category,
        address=Address(street="Marktplatz 3", postal_code="48624", city="Schöppingen"),
        phone="02555 987",
        email="laden@example.org",
        offers_delivery=True,
        offers_pickup=True,
    )
    return received(merchant_id, MerchantRegistered(merchant_id=merchant_id, profile=profile))


def offer(offer_id: UUID, merchant_id: UUID, title: str, category: str, description: str = "") -> ReceivedEvent:
    listed = OfferListed(
        offer_id=offer_id,
        merchant_id=merchant_id,
        kind="product",
        title=title,
        category=category,
        description=description,
        price_cents=990,
    )
    return received(offer_id, listed)


TOWN = [
    register(FAHRRADLADEN, "Zweirad Speiche", "Fahrräder"),
    register(WEINHAUS, "Weinhaus Bremer", "Wein"),
    register(KAESEREI, "Käserei Holt", "Lebensmittel"),
    offer(SCHLOSS, FAHRRADLADEN, "Bügelschloss ABUS Granit", "Fahrradzubehör"),
    offer(KETTENOEL, FAHRRADLADEN, "Kettenöl", "Pflege", "Auch für jedes Schloss, das klemmt"),
    offer(SPAETBURGUNDER, WEINHAUS, "Spätburgunder trocken", "Wein", "Vom Kaiserstuhl"),
    offer(BERGKAESE, KAESEREI, "Bergkäse, 12 Monate gereift", "Käse"),
    offer(ANHAENGER, FAHRRADLADEN, "Schlüsselanhänger aus Leder", "Geschenke"),
    offer(RENAMED, WEINHAUS, "Traubensaft", "Getränke"),
    received(
        RENAMED,
        OfferDetailsChanged(
            offer_id=RENAMED, merchant_id=WEINHAUS, title="Grauburgunder Kabinett", description="", category="Wein"
        ),
    ),
]


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"catalog_search_{uuid4().hex[:12]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        migrate(f"{SERVER}/{name}", *SERVICE_MIGRATIONS)
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def conn(database: str) -> AsyncIterator[Conn]:
    connection: Conn = await AsyncConnection.connect(database, autocommit=True, row_factory=dict_row)
    async with connection:
        for projection in PROJECTIONS:
            writer = ProjectionWriter(projection)
            await writer.create_tables(connection)
            async with connection.transaction():
                await writer.handle(connection, TOWN)
        yield connection


async def titles(conn: Conn, text: str, **filters: object) -> list[str]:
    page = await search_offers(conn, text=text, **filters)
    assert page.total == len(page.items)
    return [item["title"] for item in page.items]


async def test_the_last_part_of_a_compound_finds_it(conn: Conn) -> None:
    """Schloss finds the Bügelschloss, and a description that mentions a Schloss after it;
    not the Schlüsselanhänger, however alike the words look."""
    assert await titles(conn, "Schloss") == ["Bügelschloss ABUS Granit", "Kettenöl"]


async def test_the_grape_finds_the_wine(conn: Conn) -> None:
    assert sorted(await titles(conn, "Burgunder")) == ["Grauburgunder Kabinett", "Spätburgunder trocken"]


async def test_a_part_being_typed_finds_its_compound(conn: Conn) -> None:
    assert await titles(conn, "schlos") == ["Bügelschloss ABUS Granit", "Kettenöl"]


async def test_the_first_part_finds_it_too(conn: Conn) -> None:
    assert await titles(conn, "Bügel") == ["Bügelschloss ABUS Granit"]


async def test_a_compound_query_finds_its_parts_apart(conn: Conn) -> None:
    """Fahrradschloss: "Fahrrad" is in the category (Fahrradzubehör), "Schloss" in the title."""
    assert await titles(conn, "Fahrradschloss") == ["Bügelschloss ABUS Granit"]


async def test_changed_details_are_split_again(conn: Conn) -> None:
    assert await titles(conn, "Grauburgunder") == ["Grauburgunder Kabinett"]
    assert await titles(conn, "Traubensaft") == []


async def test_a_typo_still_finds_what_is_alike(conn: Conn) -> None:
    assert sorted(await titles(conn, "Burgnder")) == ["Grauburgunder Kabinett", "Spätburgunder trocken"]
    assert await titles(conn, "Bügelschlos Abus") == ["Bügelschloss ABUS Granit"]


async def test_the_fallback_keeps_the_filters_and_wants_every_word(conn: Conn) -> None:
    assert await titles(conn, "Burgnder", merchant_id=FAHRRADLADEN) == []
    assert await titles(conn, "Burgnder Bügelschlos") == []


async def test_nothing_is_found_that_is_not_there(conn: Conn) -> None:
    assert await titles(conn, "Schloss", merchant_id=WEINHAUS) == []
    assert await titles(conn, "Xylophon") == []
    assert await titles(conn, "Käse Schloss") == []


async def test_a_page_past_the_end_still_counts_every_match(conn: Conn) -> None:
    page = await search_offers(conn, text="Schloss", offset=5)

    assert (page.total, page.items) == (2, [])
