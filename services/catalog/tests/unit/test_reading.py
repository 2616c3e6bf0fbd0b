# SPDX-License-Identifier: AGPL-3.0-or-later
"""What people read in the catalog's answers: the directory's notes from the catalogue in the
reader's language, weekdays by name beside their numbers (0 = Monday), documented in the
OpenAPI document; and where an offer's VAT rate and a merchant's bank account show."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from itertools import count
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from catalog.api.app import create_app
from catalog.api.reading import Reader, catalog_texts
from catalog.api.schemas import CatalogItem, MerchantOut
from catalog.domain.merchant import Merchant
from catalog.projections import TownCatalog, TownDirectory
from catalog.projections.queries import availability, availability_note
from catalog.projections.town_catalog import OFFERS
from catalog.projections.town_directory import MERCHANTS as DIRECTORY
from catalog.settings import CatalogSettings
from downtown_events.catalog import (
    Address,
    BankAccount,
    MerchantProfile,
    MerchantRegistered,
    OfferListed,
    OfferVatRateChanged,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_offsets = count()


def reader(language: str) -> Reader:
    return Reader(language, partial(catalog_texts(None, "Europe/Berlin").gettext, language))


def directory_row(**changes: Any) -> dict[str, Any]:
    row = {"closed": False, "closed_note": "", "offers_delivery": True, "offers_pickup": True, "services": 0}
    return row | {"sells_vouchers": False} | changes


@pytest.mark.parametrize(
    ("row", "de", "en"),
    [
        (directory_row(closed=True, closed_note="Urlaub bis Montag"), "vorübergehend geschlossen: Urlaub bis Montag",
         "temporarily closed: Urlaub bis Montag"),
        (directory_row(closed=True), "vorübergehend geschlossen", "temporarily closed"),
        (directory_row(), "Lieferung und Abholung", "delivery and pickup"),
        (directory_row(offers_pickup=False), "nur Lieferung", "delivery only"),
        (directory_row(offers_delivery=False, offers_pickup=False, services=2), "buchbare Dienstleistungen",
         "bookable services"),
    ],
)  # fmt: skip
def test_the_directorys_notes_are_in_the_readers_language(row: dict[str, Any], de: str, en: str) -> None:
    assert availability(row, reader("de").gettext) == de
    assert availability(row, reader("en").gettext) == en


def test_a_closing_note_with_a_percent_sign_is_printed_as_written() -> None:
    row = directory_row(closed=True, closed_note="alles 20 % günstiger ab %(Montag)s")
    assert availability(row, reader("de").gettext) == "vorübergehend geschlossen: alles 20 % günstiger ab %(Montag)s"


def test_a_merchants_note_is_shown_on_its_day_in_the_towns_zone_only() -> None:
    zone = ZoneInfo("Europe/Berlin")
    row = directory_row(availability_note="Heute nur Abholung", availability_day=date(2026, 12, 7))
    late_monday_in_town = datetime(2026, 12, 7, 22, 30, tzinfo=UTC).astimezone(zone)  # 23:30 in Berlin

    assert availability_note(row, late_monday_in_town) == "Heute nur Abholung"
    assert availability_note(row, late_monday_in_town + timedelta(hours=1)) is None  # Tuesday, 00:30
    assert availability_note(row | {"availability_note": ""}, late_monday_in_town) is None
    assert availability_note(directory_row(), late_monday_in_town) is None  # a row from before notes


def test_weekdays_are_named_in_the_readers_language_from_monday_as_0() -> None:
    assert [reader("de").weekday_name(day) for day in (0, 5, 6)] == ["Montag", "Samstag", "Sonntag"]
    assert reader("en").weekday_name(0) == "Monday"
    hours = [{"weekday": 2, "opens": "09:00:00", "closes": "18:00:00"}]
    assert reader("de").opening_hours(hours) == [{**hours[0], "weekday_name": "Mittwoch"}]


def test_a_merchant_reads_its_own_hours_with_the_days_named_in_its_language() -> None:
    profile = MerchantProfile(
        name="Bäckerei Wessels",
        category="Bäckerei",
        address=Address(street="Amtsstraße 3", postal_code="48624", city="Schöppingen"),
        phone="+49 2555 412",
        email="backstube@example.de",
    )
    merchant = Merchant(uuid4(), profile, (TimeWindow(weekday=6, opens=time(8), closes=time(11)),))
    assert MerchantOut.of(merchant).opening_hours[0].model_dump() == {
        "weekday": 6,
        "weekday_name": "Sonntag",
        "opens": "08:00:00",
        "closes": "11:00:00",
    }
    assert MerchantOut.of(merchant, "en").opening_hours[0].weekday_name == "Sunday"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(CatalogSettings(town="doc-town", database_url="postgresql://localhost/x")).openapi()


def test_the_openapi_document_says_what_the_weekday_numbers_mean(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["MerchantOut"]["properties"]["opening_hours"]["items"] == {
        "$ref": "#/components/schemas/OpeningWindowOut"
    }
    for name in ("OpeningWindowOut", "TimeWindowIn"):
        assert "0 = Monday" in schemas[name]["properties"]["weekday"]["description"], name
        assert "6 = Sunday" in schemas[name]["properties"]["weekday"]["description"], name
    parameters = document["paths"]["/directory"]["get"]["parameters"]
    assert "lang" in {parameter["name"] for parameter in parameters}


def test_the_offers_api_shows_the_vat_rate_and_how_a_service_is_held(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for name in ("OfferOut", "CatalogItem"):
        assert {"vat_percent", "held"} <= set(schemas[name]["properties"]), name
    assert "put" in document["paths"]["/offers/{offer_id}/vat-rate"]


# --- the read models ---------------------------------------------------------------------


def received(event: IntegrationEvent, stream: UUID, version: int) -> ReceivedEvent:
    envelope = CloudEvent(
        id=str(uuid4()),
        source="/catalog",
        type=event.ce_type(),
        subject=str(stream),
        time=START + timedelta(minutes=version),
        town="testtown",
        streamversion=version,
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    return ReceivedEvent(
        KafkaRecord("testtown.catalog.events", 0, next(_offsets), key, value, headers), envelope, event
    )


def test_the_town_catalog_shows_an_offers_rate_and_follows_its_changes() -> None:
    offer_id, merchant_id = uuid4(), uuid4()
    listed = OfferListed(
        offer_id=offer_id,
        merchant_id=merchant_id,
        kind="product",
        title="Der Stechlin",
        price_cents=1490,
        vat_percent=7,
    )
    changed = OfferVatRateChanged(offer_id=offer_id, merchant_id=merchant_id, vat_percent=19, previous_vat_percent=7)
    rows = TownCatalog().fold(RowSet(), [received(listed, offer_id, 1)])
    row = rows.get(OFFERS, offer_id)
    assert row is not None and (row["vat_percent"], row["held"]) == (7, "in_person")
    rows = TownCatalog().fold(rows, [received(changed, offer_id, 2)])
    row = rows.get(OFFERS, offer_id)
    assert row is not None and row["vat_percent"] == 19
    item = CatalogItem.of({**row, "held": None, "merchant_name": "Buchhandlung", "offers_delivery": False} | {
        "offers_pickup": True})  # fmt: skip
    assert (item.vat_percent, item.held) == (19, "in_person")


def test_the_directory_shows_no_bank_account_nor_tax_number_which_are_for_invoices() -> None:
    merchant_id = uuid4()
    profile = MerchantProfile(
        name="Buchhandlung am Markt",
        category="Bücher",
        address=Address(street="Am Markt 5", postal_code="48624", city="Schöppingen"),
        phone="+49 2555 7731",
        email="buch@example.de",
        tax_number="DE123456789",
        tax_number_kind="ust_idnr",
        bank_account=BankAccount(iban="DE89370400440532013000", account_holder="Buchhandlung am Markt"),
    )
    hours = [TimeWindow(weekday=0, opens=time(9), closes=time(18))]
    registered = MerchantRegistered(merchant_id=merchant_id, profile=profile, opening_hours=hours)
    row = TownDirectory().fold(RowSet(), [received(registered, merchant_id, 1)]).get(DIRECTORY, merchant_id)
    assert row is not None and row["name"] == "Buchhandlung am Markt"
    assert not {"iban", "bic", "account_holder", "tax_number", "tax_number_kind"} & set(row)
