# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog read side against a real PostgreSQL: projections written, then queried.

A fresh database per module (random name), dropped at the end. Events go through the same
:class:`ProjectionWriter` the worker uses, so the tables are exactly what production holds.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, time, timedelta
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
from catalog.projections.queries import directory, get_directory_entry, get_offer, members, search_offers
from downtown_events.catalog import (
    Address,
    MerchantApproved,
    MerchantClosed,
    MerchantProfile,
    MerchantRegistered,
    MerchantSuspended,
    OfferListed,
    OfferPhotoAdded,
    OfferWithdrawn,
    PhotoVariant,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.database import migrate
from downtown_events.runtime.projection import LIVE, REBUILD, ProjectionWriter, table_checksums
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

Conn = AsyncConnection[Any]  # dict rows here; the runtime annotates plain AsyncConnection

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

SERVER = os.environ.get("DOWNTOWN_TEST_POSTGRES", "postgresql://downtown@127.0.0.1:15432")
MONDAY_10 = datetime(2024, 3, 4, 10, 0)  # a Monday, wall-clock time in town
SUNDAY_10 = MONDAY_10 + timedelta(days=6)

# --- the town --------------------------------------------------------------------------

WEINHAUS, KAESEREI, CONFISERIE, SPIELWAREN, FRISEUR = (uuid4() for _ in range(5))
WEIN, SAFT, KAESE, FONDUE, KREIDE, SCHOKOLADE, HAARSCHNITT = (uuid4() for _ in range(7))
PHOTO = "0f" * 32

_clock = count()
_versions: dict[UUID, int] = {}


def received(aggregate_id: UUID, event: IntegrationEvent) -> ReceivedEvent:
    """The event as the consumer hands it over, each one a minute after the previous."""
    tick = next(_clock)
    _versions[aggregate_id] = _versions.get(aggregate_id, 0) + 1
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/catalog",
        type=event.ce_type(),
        subject=str(aggregate_id),
        time=datetime(2024, 3, 1, 8, tzinfo=UTC) + timedelta(minutes=tick),
        town="testtown",
        streamversion=_versions[aggregate_id],
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    return ReceivedEvent(KafkaRecord("testtown.catalog.events", 0, tick, key, value, headers), envelope, event)


def register(
    merchant_id: UUID, name: str, category: str, *, delivery: bool, pickup: bool, vouchers: bool = False
) -> ReceivedEvent:
    profile = MerchantProfile(
        name=name,
        category=category,
        address=Address(street="Marktplatz 3", postal_code="48624", city="Schöppingen"),
        phone="02555 987",
        email="laden@example.org",
        offers_delivery=delivery,
        offers_pickup=pickup,
        sells_vouchers=vouchers,
    )
    weekdays = TimeWindow(weekday=0, opens=time(9), closes=time(18))
    return received(merchant_id, MerchantRegistered(merchant_id=merchant_id, profile=profile, opening_hours=[weekdays]))


def offer(
    offer_id: UUID, merchant_id: UUID, title: str, category: str, price_cents: int, **extra: object
) -> ReceivedEvent:
    fields = {"offer_id": offer_id, "merchant_id": merchant_id, "kind": "product", "title": title}
    listed = OfferListed.model_validate({**fields, "category": category, "price_cents": price_cents, **extra})
    return received(offer_id, listed)


def town_events() -> list[ReceivedEvent]:
    return [
        register(WEINHAUS, "Weinhaus Bremer", "Wein", delivery=True, pickup=True),
        register(KAESEREI, "Käserei Holt", "Lebensmittel", delivery=False, pickup=True),
        register(CONFISERIE, "Confiserie Süß", "Süßwaren", delivery=True, pickup=False),
        register(SPIELWAREN, "Spielwaren Kunterbunt", "Spielzeug", delivery=False, pickup=False, vouchers=True),
        register(FRISEUR, "Friseur Locke", "Friseur", delivery=False, pickup=True),
        offer(WEIN, WEINHAUS, "Wein vom Weingut Müller", "Wein", 1290, description="Trockener Riesling aus der Pfalz"),
        offer(SAFT, WEINHAUS, "Traubensaft", "Getränke", 450),
        offer(KAESE, KAESEREI, "Käse aus dem Allgäu", "Käse", 690, stock=12),
        offer(FONDUE, KAESEREI, "Käsefondue-Set", "Käse", 2900),
        offer(KREIDE, SPIELWAREN, "Straßenmalkreide, 12 Farben", "Spielzeug", 599),
        offer(SCHOKOLADE, CONFISERIE, "Schokolade Vollmilch", "Süßwaren", 250),
        offer(HAARSCHNITT, FRISEUR, "Haarschnitt", "Friseur", 2500, kind="service", duration_minutes=30),
        received(KAESE, OfferPhotoAdded(offer_id=KAESE, merchant_id=KAESEREI, photo_id=PHOTO, variants=[_VARIANT])),
        received(FONDUE, OfferWithdrawn(offer_id=FONDUE, merchant_id=KAESEREI, kind="product")),
        received(FRISEUR, MerchantClosed(merchant_id=FRISEUR, note="Urlaub bis Montag")),
    ]


_VARIANT = PhotoVariant(name="thumb", width=320, height=240, content_type="image/webp")
TOWN = town_events()  # once: a replay must see the very same events, times included

# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    name = f"catalog_test_{uuid4().hex[:12]}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        migrate(f"{SERVER}/{name}", *SERVICE_MIGRATIONS)  # pg_trgm, for the search's trigram index
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


async def titles(conn: Conn, **filters: object) -> list[str]:
    page = await search_offers(conn, **filters)
    assert page.total == len(page.items)
    return [item["title"] for item in page.items]


# --- search ----------------------------------------------------------------------------


async def test_an_inflected_word_finds_its_stem(conn: Conn) -> None:
    assert "Wein vom Weingut Müller" in await titles(conn, text="Weine")


async def test_umlauts_may_be_typed_without_dots(conn: Conn) -> None:
    assert await titles(conn, text="Käse") == ["Käse aus dem Allgäu"]
    assert await titles(conn, text="Kase") == ["Käse aus dem Allgäu"]


async def test_sharp_s_may_be_typed_as_ss(conn: Conn) -> None:
    assert await titles(conn, text="Straße") == ["Straßenmalkreide, 12 Farben"]
    assert await titles(conn, text="strasse") == ["Straßenmalkreide, 12 Farben"]


async def test_a_word_being_typed_matches_as_a_prefix(conn: Conn) -> None:
    assert await titles(conn, text="Schok") == ["Schokolade Vollmilch"]


async def test_every_word_must_match(conn: Conn) -> None:
    assert await titles(conn, text="Wein Riesling") == ["Wein vom Weingut Müller"]
    assert await titles(conn, text="Wein Schokolade") == []


async def test_the_merchants_name_finds_its_offers(conn: Conn) -> None:
    assert sorted(await titles(conn, text="Bremer")) == ["Traubensaft", "Wein vom Weingut Müller"]


async def test_a_title_match_ranks_above_a_merchant_name_match(conn: Conn) -> None:
    assert await titles(conn, text="Wein") == ["Wein vom Weingut Müller", "Traubensaft"]


async def test_search_operators_in_user_text_are_just_separators(conn: Conn) -> None:
    assert await titles(conn, text="Käse & | ! ( ) :* ' \\ ;--") == ["Käse aus dem Allgäu"]


async def test_text_of_stop_words_only_does_not_filter(conn: Conn) -> None:
    assert len(await titles(conn, text="der die das")) == len(await titles(conn))


async def test_withdrawn_offers_are_gone(conn: Conn) -> None:
    assert "Käsefondue-Set" not in await titles(conn, text="Käsefondue")
    assert await get_offer(conn, FONDUE) is None


async def test_without_text_newest_first_with_a_total_over_all_pages(conn: Conn) -> None:
    page = await search_offers(conn, limit=2, offset=1)

    assert page.total == 6
    assert [item["title"] for item in page.items] == ["Schokolade Vollmilch", "Straßenmalkreide, 12 Farben"]


async def test_filters(conn: Conn) -> None:
    assert await titles(conn, category="Käse") == ["Käse aus dem Allgäu"]
    assert sorted(await titles(conn, merchant_id=WEINHAUS)) == ["Traubensaft", "Wein vom Weingut Müller"]
    assert sorted(await titles(conn, delivery=True)) == [
        "Schokolade Vollmilch",
        "Traubensaft",
        "Wein vom Weingut Müller",
    ]
    assert await titles(conn, pickup=False, text="Schokolade") == ["Schokolade Vollmilch"]
    assert sorted(await titles(conn, min_price_cents=400, max_price_cents=700)) == [
        "Käse aus dem Allgäu",
        "Straßenmalkreide, 12 Farben",
        "Traubensaft",
    ]
    assert await titles(conn, kind="service") == ["Haarschnitt"]


async def test_items_carry_merchant_and_photo(conn: Conn) -> None:
    [item] = (await search_offers(conn, text="Käse")).items

    assert item["merchant_name"] == "Käserei Holt"
    assert (item["offers_delivery"], item["offers_pickup"]) == (False, True)
    assert item["photo_id"] == PHOTO
    assert item["photo_variants"] == [_VARIANT.model_dump(mode="json")]
    assert (item["price_cents"], item["stock"]) == (690, 12)
    assert await get_offer(conn, KAESE) == item


async def test_a_suspended_merchants_offers_disappear(conn: Conn) -> None:
    async with conn.transaction(force_rollback=True):
        suspended = received(CONFISERIE, MerchantSuspended(merchant_id=CONFISERIE, reason="Beschwerden"))
        for projection in PROJECTIONS:
            await ProjectionWriter(projection).handle(conn, [suspended])

        assert await titles(conn, text="Schokolade") == []
        assert await titles(conn, text="Süß") == []
        assert await get_offer(conn, SCHOKOLADE) is None
        assert CONFISERIE not in {entry["merchant_id"] for entry in await directory(conn, now_local=MONDAY_10)}
        assert await get_directory_entry(conn, CONFISERIE, MONDAY_10) is None
    assert await titles(conn, text="Schokolade") == ["Schokolade Vollmilch"]


# --- directory -------------------------------------------------------------------------


async def test_directory_lists_merchants_with_counts_and_notes(conn: Conn) -> None:
    entries = {entry["name"]: entry for entry in await directory(conn, now_local=MONDAY_10)}

    assert list(entries) == sorted(entries)
    assert (entries["Käserei Holt"]["products"], entries["Käserei Holt"]["services"]) == (1, 0)
    assert entries["Friseur Locke"]["services"] == 1
    assert {name: entry["availability"] for name, entry in entries.items()} == {
        "Confiserie Süß": "delivery only",
        "Friseur Locke": "temporarily closed: Urlaub bis Montag",
        "Käserei Holt": "pickup only",
        "Spielwaren Kunterbunt": "vouchers only",
        "Weinhaus Bremer": "delivery and pickup",
    }


async def test_directory_open_now(conn: Conn) -> None:
    open_names = [entry["name"] for entry in await directory(conn, open_now=True, now_local=MONDAY_10)]
    closed_names = [entry["name"] for entry in await directory(conn, open_now=False, now_local=MONDAY_10)]

    assert "Friseur Locke" in closed_names  # within its hours, but closed for holidays
    assert "Weinhaus Bremer" in open_names
    assert await directory(conn, open_now=True, now_local=SUNDAY_10) == []


async def test_directory_filters(conn: Conn) -> None:
    async def names(**filters: object) -> list[str]:
        return [entry["name"] for entry in await directory(conn, now_local=MONDAY_10, **filters)]

    assert await names(category="Wein") == ["Weinhaus Bremer"]
    assert await names(offers="delivery") == ["Confiserie Süß", "Weinhaus Bremer"]
    assert await names(offers="vouchers") == ["Spielwaren Kunterbunt"]
    assert await names(offers="services") == ["Friseur Locke"]
    with pytest.raises(ValueError):
        await names(offers="everything")


async def test_directory_entry(conn: Conn) -> None:
    entry = await get_directory_entry(conn, WEINHAUS, MONDAY_10)

    assert entry is not None
    assert entry["open_now"] is True
    assert entry["opening_hours"] == [{"weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}]
    assert (entry["street"], entry["products"]) == ("Marktplatz 3", 2)
    assert await get_directory_entry(conn, uuid4(), MONDAY_10) is None


# --- the association's members ----------------------------------------------------------


async def test_members_include_the_suspended_with_their_standing_a_page_at_a_time(conn: Conn) -> None:
    async with conn.transaction(force_rollback=True):
        decisions = [
            received(CONFISERIE, MerchantSuspended(merchant_id=CONFISERIE, reason="Beschwerden")),
            received(WEINHAUS, MerchantApproved(merchant_id=WEINHAUS)),
        ]
        for projection in PROJECTIONS:
            await ProjectionWriter(projection).handle(conn, decisions)

        page = await members(conn)
        standing = {row["name"]: (row["approved"], row["suspended"], row["suspension_reason"]) for row in page.items}
        assert standing == {
            "Confiserie Süß": (False, True, "Beschwerden"),
            "Friseur Locke": (False, False, None),
            "Käserei Holt": (False, False, None),
            "Spielwaren Kunterbunt": (False, False, None),
            "Weinhaus Bremer": (True, False, None),
        }
        assert page.more is False and [row["name"] for row in page.items] == sorted(standing)
        friseur = next(row for row in page.items if row["name"] == "Friseur Locke")
        assert (friseur["closed"], friseur["email"], friseur["phone"]) == (True, "laden@example.org", "02555 987")

        first, second = await members(conn, limit=3), await members(conn, limit=3, offset=3)
        assert first.more and not second.more
        assert [row["name"] for row in first.items + second.items] == sorted(standing)
        with pytest.raises(ValueError):
            await members(conn, limit=501)


# --- rebuild ---------------------------------------------------------------------------


async def test_replaying_event_by_event_reproduces_the_tables(conn: Conn) -> None:
    """What a rebuild checks: other batches, same events, the same rows bit for bit."""
    async with conn.transaction(force_rollback=True):
        for projection in PROJECTIONS:
            rebuild = ProjectionWriter(projection, REBUILD)
            await rebuild.create_tables(conn)
            for event in TOWN:
                await rebuild.handle(conn, [event])
            assert await table_checksums(conn, projection, REBUILD) == await table_checksums(conn, projection, LIVE)
