# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's read-model policies, folded over plain rows without a database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import count
from uuid import UUID, uuid4

from catalog.projections import PROJECTIONS, TownCatalog, TownDirectory
from catalog.projections.town_catalog import MERCHANTS as CATALOG_MERCHANTS
from catalog.projections.town_catalog import OFFERS
from catalog.projections.town_directory import MERCHANTS as DIRECTORY
from downtown_events.catalog import (
    Address,
    MerchantApprovalWithdrawn,
    MerchantApproved,
    MerchantAvailabilityNoted,
    MerchantClosed,
    MerchantProfile,
    MerchantProfileChanged,
    MerchantRegistered,
    MerchantReinstated,
    MerchantReopened,
    MerchantSuspended,
    OfferDetailsChanged,
    OfferListed,
    OfferPhotoAdded,
    OfferPriceChanged,
    OfferStockAdjusted,
    OfferWithdrawn,
    OpeningHoursChanged,
    PhotoVariant,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.geo import GeoPoint
from downtown_events.runtime.projection import Projection, RowSet
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

START = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
_offsets = count()


class Stream:
    """Numbers the events of one aggregate and stamps them a minute apart."""

    def __init__(self, aggregate_id: UUID, start: datetime = START) -> None:
        self.aggregate_id = aggregate_id
        self.version = 0
        self.time = start

    def __call__(self, event: IntegrationEvent) -> ReceivedEvent:
        self.version += 1
        self.time += timedelta(minutes=1)
        return received(event, subject=str(self.aggregate_id), version=self.version, at=self.time)


def received(event: IntegrationEvent, *, subject: str, version: int, at: datetime) -> ReceivedEvent:
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/catalog",
        type=event.ce_type(),
        subject=subject,
        time=at,
        town="testtown",
        streamversion=version,
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    record = KafkaRecord("testtown.catalog.events", 0, next(_offsets), key, value, headers)
    return ReceivedEvent(record, envelope, event)


def profile(name: str = "Käserei Holt", **changes: object) -> MerchantProfile:
    fields: dict[str, object] = {
        "name": name,
        "category": "Lebensmittel",
        "address": Address(street="Hauptstraße 1", postal_code="48624", city="Schöppingen"),
        "phone": "02555 1234",
        "email": "info@kaeserei.example",
        "offers_delivery": True,
        **changes,
    }
    return MerchantProfile.model_validate(fields)


def fold(projection: Projection, events: Sequence[ReceivedEvent], rows: RowSet | None = None) -> RowSet:
    return projection.fold(rows or RowSet(), events)


MONDAY = TimeWindow(weekday=0, opens=time(9), closes=time(18))
PHOTO = "ab" * 32
VARIANTS = [PhotoVariant(name="thumb", width=200, height=150, content_type="image/webp")]


def test_projections_are_registered() -> None:
    assert [p.name for p in PROJECTIONS] == ["town_catalog", "town_directory", "delivery_terms"]


# --- town_catalog: offers --------------------------------------------------------------


def test_listed_product_becomes_a_catalog_row() -> None:
    merchant_id, offer_id = uuid4(), uuid4()
    offer = Stream(offer_id)
    listed = offer(
        OfferListed(
            offer_id=offer_id,
            merchant_id=merchant_id,
            kind="product",
            title="Bergkäse",
            description="12 Monate gereift",
            category="Käse",
            price_cents=450,
            stock=10,
        )
    )

    row = fold(TownCatalog(), [listed]).get(OFFERS, offer_id)

    assert row == {
        "offer_id": offer_id,
        "merchant_id": merchant_id,
        "kind": "product",
        "title": "Bergkäse",
        "description": "12 Monate gereift",
        "category": "Käse",
        "price_cents": 450,
        "currency": "EUR",
        "stock": 10,
        "duration_minutes": None,
        "weekly_availability": [],
        "photo_id": None,
        "photo_variants": None,
        "listed_at": listed.envelope.time,
        "updated_at": listed.envelope.time,
        "vat_percent": None,
        "held": "in_person",
        "title_parts": "berg käse",
        "category_parts": "",
        "description_parts": "",
    }


def test_service_keeps_duration_and_bookable_hours_as_json() -> None:
    offer_id = uuid4()
    listed = Stream(offer_id)(
        OfferListed(
            offer_id=offer_id,
            merchant_id=uuid4(),
            kind="service",
            title="Haarschnitt",
            price_cents=2500,
            duration_minutes=30,
            weekly_availability=[MONDAY],
        )
    )

    row = fold(TownCatalog(), [listed]).get(OFFERS, offer_id)

    assert row is not None
    assert row["kind"] == "service"
    assert row["duration_minutes"] == 30
    assert row["stock"] is None
    assert row["weekly_availability"] == [{"weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}]


def test_offer_changes_update_the_row_and_its_time() -> None:
    merchant_id, offer_id = uuid4(), uuid4()
    offer = Stream(offer_id)
    events = [
        offer(OfferListed(offer_id=offer_id, merchant_id=merchant_id, kind="product", title="Käse", price_cents=450)),
        offer(OfferPriceChanged(offer_id=offer_id, merchant_id=merchant_id, price_cents=399, previous_price_cents=450)),
        offer(
            OfferDetailsChanged(
                offer_id=offer_id, merchant_id=merchant_id, title="Bergkäse", description="würzig", category="Käse"
            )
        ),
        offer(OfferStockAdjusted(offer_id=offer_id, merchant_id=merchant_id, delta=5, stock=5, reason="Lieferung")),
    ]

    row = fold(TownCatalog(), events).get(OFFERS, offer_id)

    assert row is not None
    assert (row["title"], row["description"], row["category"]) == ("Bergkäse", "würzig", "Käse")
    assert row["title_parts"] == "berg käse"  # found again for the new title
    assert (row["price_cents"], row["stock"]) == (399, 5)
    assert row["listed_at"] == events[0].envelope.time
    assert row["updated_at"] == events[-1].envelope.time


def test_the_latest_photo_is_the_offers_photo() -> None:
    merchant_id, offer_id = uuid4(), uuid4()
    offer = Stream(offer_id)
    second = [PhotoVariant(name="large", width=1600, height=1200, content_type="image/jpeg")]
    events = [
        offer(OfferListed(offer_id=offer_id, merchant_id=merchant_id, kind="product", title="Käse", price_cents=1)),
        offer(OfferPhotoAdded(offer_id=offer_id, merchant_id=merchant_id, photo_id=PHOTO, variants=VARIANTS)),
    ]
    rows = fold(TownCatalog(), events)
    first = rows.get(OFFERS, offer_id)
    assert first is not None
    assert first["photo_id"] == PHOTO
    assert first["photo_variants"] == [{"name": "thumb", "width": 200, "height": 150, "content_type": "image/webp"}]

    added = offer(OfferPhotoAdded(offer_id=offer_id, merchant_id=merchant_id, photo_id="cd" * 32, variants=second))
    latest = fold(TownCatalog(), [added], rows).get(OFFERS, offer_id)

    assert latest is not None
    assert latest["photo_id"] == "cd" * 32
    assert [v["name"] for v in latest["photo_variants"]] == ["large"]


def test_withdrawn_offer_is_deleted() -> None:
    merchant_id, offer_id = uuid4(), uuid4()
    offer = Stream(offer_id)
    events = [
        offer(OfferListed(offer_id=offer_id, merchant_id=merchant_id, kind="product", title="Käse", price_cents=1)),
        offer(OfferWithdrawn(offer_id=offer_id, merchant_id=merchant_id, kind="product", reason="ausverkauft")),
    ]

    rows = fold(TownCatalog(), events)

    assert rows.get(OFFERS, offer_id) is None
    assert (OFFERS.name, str(offer_id)) in rows.changed  # so the writer deletes it


def test_change_to_an_unknown_offer_changes_nothing() -> None:
    offer_id = uuid4()
    event = Stream(offer_id)(
        OfferPriceChanged(offer_id=offer_id, merchant_id=uuid4(), price_cents=1, previous_price_cents=2)
    )

    rows = fold(TownCatalog(), [event])

    assert rows.get(OFFERS, offer_id) is None
    assert not rows.changed


def test_catalog_touches_offer_rows_for_offer_events_and_merchant_rows_for_merchant_events() -> None:
    merchant_id, offer_id = uuid4(), uuid4()
    listed = Stream(offer_id)(
        OfferListed(offer_id=offer_id, merchant_id=merchant_id, kind="product", title="Käse", price_cents=1)
    )
    registered = Stream(merchant_id)(MerchantRegistered(merchant_id=merchant_id, profile=profile()))
    hours = Stream(merchant_id)(OpeningHoursChanged(merchant_id=merchant_id, opening_hours=[MONDAY]))

    assert list(TownCatalog().touches(listed)) == [(OFFERS, offer_id)]
    assert list(TownCatalog().touches(registered)) == [(CATALOG_MERCHANTS, merchant_id)]
    assert list(TownCatalog().touches(hours)) == []


# --- town_catalog: merchants -----------------------------------------------------------


def test_registered_merchant_is_open_with_its_flags() -> None:
    merchant_id = uuid4()
    event = Stream(merchant_id)(MerchantRegistered(merchant_id=merchant_id, profile=profile(sells_vouchers=True)))

    row = fold(TownCatalog(), [event]).get(CATALOG_MERCHANTS, merchant_id)

    assert row == {
        "merchant_id": merchant_id,
        "name": "Käserei Holt",
        "category": "Lebensmittel",
        "city": "Schöppingen",
        "status": "open",
        "closed": False,
        "suspended": False,
        "offers_delivery": True,
        "offers_pickup": True,
        "sells_vouchers": True,
    }


def test_suspension_outranks_closing_and_both_are_remembered() -> None:
    merchant_id = uuid4()
    merchant = Stream(merchant_id)
    steps = [
        (MerchantRegistered(merchant_id=merchant_id, profile=profile()), "open"),
        (MerchantClosed(merchant_id=merchant_id, note="Urlaub"), "closed"),
        (MerchantSuspended(merchant_id=merchant_id, reason="Beschwerden"), "suspended"),
        (MerchantReopened(merchant_id=merchant_id), "suspended"),
        (MerchantClosed(merchant_id=merchant_id, note="Krank"), "suspended"),
        (MerchantReinstated(merchant_id=merchant_id), "closed"),
        (MerchantReopened(merchant_id=merchant_id), "open"),
    ]
    rows = RowSet()
    for event, status in steps:
        fold(TownCatalog(), [merchant(event)], rows)
        row = rows.get(CATALOG_MERCHANTS, merchant_id)
        assert row is not None
        assert row["status"] == status, type(event).__name__


def test_profile_change_keeps_closed_and_suspended() -> None:
    merchant_id = uuid4()
    merchant = Stream(merchant_id)
    events = [
        merchant(MerchantRegistered(merchant_id=merchant_id, profile=profile())),
        merchant(MerchantClosed(merchant_id=merchant_id)),
        merchant(MerchantProfileChanged(merchant_id=merchant_id, profile=profile("Käse Holt", offers_pickup=False))),
    ]

    row = fold(TownCatalog(), events).get(CATALOG_MERCHANTS, merchant_id)

    assert row is not None
    assert (row["name"], row["offers_pickup"], row["closed"], row["status"]) == ("Käse Holt", False, True, "closed")


# --- town_directory --------------------------------------------------------------------


def listed(merchant_id: UUID, kind: str = "product", *, at: datetime = START) -> tuple[UUID, ReceivedEvent]:
    offer_id = uuid4()
    event = OfferListed.model_validate(
        {"offer_id": offer_id, "merchant_id": merchant_id, "kind": kind, "title": "Angebot", "price_cents": 100}
    )
    return offer_id, Stream(offer_id, at)(event)


def withdrawn(merchant_id: UUID, offer_id: UUID, kind: str = "product") -> ReceivedEvent:
    event = OfferWithdrawn.model_validate({"offer_id": offer_id, "merchant_id": merchant_id, "kind": kind})
    return received(event, subject=str(offer_id), version=2, at=START + timedelta(hours=1))


def test_directory_entry_has_contact_details_and_opening_hours() -> None:
    merchant_id = uuid4()
    details = profile(video_consultation_url="https://video.example/holt")
    event = Stream(merchant_id)(MerchantRegistered(merchant_id=merchant_id, profile=details, opening_hours=[MONDAY]))

    row = fold(TownDirectory(), [event]).get(DIRECTORY, merchant_id)

    assert row == {
        "merchant_id": merchant_id,
        "name": "Käserei Holt",
        "category": "Lebensmittel",
        "street": "Hauptstraße 1",
        "postal_code": "48624",
        "city": "Schöppingen",
        "phone": "02555 1234",
        "email": "info@kaeserei.example",
        "video_consultation_url": "https://video.example/holt",
        "opening_hours": [{"weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}],
        "offers_delivery": True,
        "offers_pickup": True,
        "sells_vouchers": False,
        "latitude": None,
        "longitude": None,
        "products": 0,
        "services": 0,
        "closed": False,
        "closed_note": "",
        "availability_note": None,
        "availability_day": None,
        "suspended": False,
        "suspension_reason": None,
        "approved": False,
        "registered_at": event.envelope.time,
        "updated_at": event.envelope.time,
    }


def test_the_directory_keeps_where_the_shop_is_as_the_profile_last_said() -> None:
    merchant_id = uuid4()
    merchant = Stream(merchant_id)
    at_the_castle = profile(location=GeoPoint(lat=51.7993, lon=7.4431))
    registered = merchant(MerchantRegistered(merchant_id=merchant_id, profile=at_the_castle))
    row = fold(TownDirectory(), [registered]).get(DIRECTORY, merchant_id)
    assert row is not None and (row["latitude"], row["longitude"]) == (51.7993, 7.4431)

    moved_off_the_map = merchant(MerchantProfileChanged(merchant_id=merchant_id, profile=profile()))
    row = fold(TownDirectory(), [registered, moved_off_the_map]).get(DIRECTORY, merchant_id)
    assert row is not None and (row["latitude"], row["longitude"]) == (None, None)


def test_the_directory_keeps_the_last_availability_note_with_its_day_and_the_catalog_ignores_it() -> None:
    merchant_id = uuid4()
    merchant = Stream(merchant_id)
    registered = merchant(MerchantRegistered(merchant_id=merchant_id, profile=profile()))
    monday, tuesday = date(2024, 3, 4), date(2024, 3, 5)
    events = [
        registered,
        merchant(MerchantAvailabilityNoted(merchant_id=merchant_id, note="nur Abholung", for_day=monday)),
    ]

    row = fold(TownDirectory(), events).get(DIRECTORY, merchant_id)
    assert row is not None and (row["availability_note"], row["availability_day"]) == ("nur Abholung", monday)

    events.append(merchant(MerchantAvailabilityNoted(merchant_id=merchant_id, note="", for_day=tuesday)))
    row = fold(TownDirectory(), events).get(DIRECTORY, merchant_id)
    assert row is not None and (row["availability_note"], row["availability_day"]) == ("", tuesday)
    assert (
        TownCatalog().reads() is not None and "downtown.catalog.MerchantAvailabilityNoted" not in TownCatalog().reads()
    )
    assert fold(TownCatalog(), events).get(CATALOG_MERCHANTS, merchant_id) == fold(TownCatalog(), [registered]).get(
        CATALOG_MERCHANTS, merchant_id
    )


def test_directory_counts_listed_offers_per_kind() -> None:
    merchant_id = uuid4()
    registered = Stream(merchant_id)(MerchantRegistered(merchant_id=merchant_id, profile=profile()))
    first, listed_first = listed(merchant_id)
    _, listed_second = listed(merchant_id)
    _, listed_service = listed(merchant_id, "service")

    rows = fold(
        TownDirectory(), [registered, listed_first, listed_second, listed_service, withdrawn(merchant_id, first)]
    )

    row = rows.get(DIRECTORY, merchant_id)
    assert row is not None
    assert (row["products"], row["services"]) == (1, 1)


def test_offers_applied_before_the_registration_are_still_counted() -> None:
    """Offer and merchant events travel on different partitions; either may come first."""
    merchant_id = uuid4()
    _, early_offer = listed(merchant_id, at=START + timedelta(days=1))
    registered = Stream(merchant_id)(MerchantRegistered(merchant_id=merchant_id, profile=profile()))

    offer_first = fold(TownDirectory(), [early_offer]).get(DIRECTORY, merchant_id)
    assert offer_first is not None
    assert offer_first["registered_at"] is None

    one_order = fold(TownDirectory(), [early_offer, registered]).get(DIRECTORY, merchant_id)
    other_order = fold(TownDirectory(), [registered, early_offer]).get(DIRECTORY, merchant_id)
    assert one_order == other_order
    assert one_order is not None
    assert (one_order["name"], one_order["products"]) == ("Käserei Holt", 1)
    assert one_order["updated_at"] == early_offer.envelope.time


def test_directory_follows_closing_suspension_and_new_hours() -> None:
    merchant_id = uuid4()
    merchant = Stream(merchant_id)
    rows = fold(
        TownDirectory(),
        [
            merchant(MerchantRegistered(merchant_id=merchant_id, profile=profile())),
            merchant(MerchantClosed(merchant_id=merchant_id, note="Betriebsferien bis 15.8.")),
            merchant(MerchantSuspended(merchant_id=merchant_id, reason="Prüfung")),
            merchant(OpeningHoursChanged(merchant_id=merchant_id, opening_hours=[MONDAY])),
        ],
    )
    row = rows.get(DIRECTORY, merchant_id)
    assert row is not None
    assert (row["closed"], row["closed_note"], row["suspended"]) == (True, "Betriebsferien bis 15.8.", True)
    assert row["opening_hours"] == [{"weekday": 0, "opens": "09:00:00", "closes": "18:00:00"}]

    fold(TownDirectory(), [merchant(MerchantReopened(merchant_id=merchant_id))], rows)
    fold(TownDirectory(), [merchant(MerchantReinstated(merchant_id=merchant_id))], rows)

    row = rows.get(DIRECTORY, merchant_id)
    assert row is not None
    assert (row["closed"], row["closed_note"], row["suspended"]) == (False, "", False)
    assert row["updated_at"] == merchant.time


def test_directory_keeps_the_associations_approval_and_why_it_suspended_for_its_member_list() -> None:
    merchant_id = uuid4()
    merchant = Stream(merchant_id)
    rows = fold(TownDirectory(), [merchant(MerchantRegistered(merchant_id=merchant_id, profile=profile()))])

    def standing() -> tuple[object, object, object]:
        row = rows.get(DIRECTORY, merchant_id)
        assert row is not None
        return row["approved"], row["suspended"], row["suspension_reason"]

    assert standing() == (False, False, None)  # registering is open to anyone; approving is the association's
    fold(TownDirectory(), [merchant(MerchantApproved(merchant_id=merchant_id))], rows)
    fold(TownDirectory(), [merchant(MerchantSuspended(merchant_id=merchant_id, reason="Beschwerden"))], rows)
    assert standing() == (True, True, "Beschwerden")
    fold(TownDirectory(), [merchant(MerchantApprovalWithdrawn(merchant_id=merchant_id, reason="Prüfung"))], rows)
    fold(TownDirectory(), [merchant(MerchantReinstated(merchant_id=merchant_id))], rows)
    assert standing() == (False, False, None)


def test_a_directory_row_known_only_from_offers_has_no_standing_yet() -> None:
    """An approval not yet folded is null, not "not approved": the association's list says
    "not known" for rows written before the directory kept approvals, too."""
    merchant_id = uuid4()
    _, early_offer = listed(merchant_id)
    row = fold(TownDirectory(), [early_offer]).get(DIRECTORY, merchant_id)
    assert row is not None and (row["approved"], row["suspension_reason"]) == (None, None)


def test_directory_ignores_offer_changes_that_do_not_move_counts() -> None:
    offer_id = uuid4()
    event = Stream(offer_id)(
        OfferPriceChanged(offer_id=offer_id, merchant_id=uuid4(), price_cents=1, previous_price_cents=2)
    )

    assert list(TownDirectory().touches(event)) == []
    assert not fold(TownDirectory(), [event]).changed


def test_folding_the_same_events_twice_gives_the_same_rows() -> None:
    """A rebuild must reproduce the live tables: nothing may depend on the clock."""
    merchant_id = uuid4()
    merchant = Stream(merchant_id)
    offer_id, listed_offer = listed(merchant_id)
    events = [
        merchant(MerchantRegistered(merchant_id=merchant_id, profile=profile(), opening_hours=[MONDAY])),
        listed_offer,
        received(
            OfferPhotoAdded(offer_id=offer_id, merchant_id=merchant_id, photo_id=PHOTO, variants=VARIANTS),
            subject=str(offer_id),
            version=2,
            at=START + timedelta(hours=2),
        ),
    ]
    for projection in PROJECTIONS:
        first, second = fold(projection, events), fold(projection, events)
        for table in projection.tables:
            for key in (merchant_id, offer_id):
                assert first.get(table, key) == second.get(table, key)
