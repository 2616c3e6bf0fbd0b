# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who the town's couriers deliver for, as the directory says it: a merchant that offers
delivery and whose shop lies in one of the town's zones (by its pin or its postal code), at
the town's fee, with the next slot after the lead time; nothing before dispatch publishes terms."""

from __future__ import annotations

from datetime import datetime, time
from functools import partial
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from catalog.api.reading import catalog_texts
from catalog.api.schemas import CourierDeliveryOut, fee_text
from catalog.domain.courier_delivery import FeeOffer, delivered_for, fee_offer, town_delivery
from downtown_events.delivery.terms import fee_rule_of
from downtown_events.dispatch import DeliveryTermsSet, DeliveryZoneTerms, FeeRuleTerms, SlotTerms
from downtown_events.geo import GeoPoint
from downtown_events.money import format_money

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)
INNENSTADT = DeliveryZoneTerms(
    zone_id=uuid4(),
    name="Innenstadt",
    polygon=[
        GeoPoint(lat=51.76, lon=7.42),
        GeoPoint(lat=51.76, lon=7.45),
        GeoPoint(lat=51.78, lon=7.45),
        GeoPoint(lat=51.78, lon=7.42),
    ],
)
SEPPENRADE = DeliveryZoneTerms(zone_id=uuid4(), name="Seppenrade", postal_codes=["59349"])
MARKT = GeoPoint(lat=51.7731, lon=7.4402)  # inside the Innenstadt
BURG_VISCHERING = GeoPoint(lat=51.7993, lon=7.4431)  # north of it


def terms(**changes: Any) -> DeliveryTermsSet:
    fields: dict[str, Any] = {
        "terms_id": uuid4(),
        "courier_service_id": uuid4(),
        "zones": [INNENSTADT, SEPPENRADE],
        "fee": FeeRuleTerms(pricing="flat", cents=490),
        "slots": [
            SlotTerms(weekday=0, starts=time(11), ends=time(13), capacity=10),
            SlotTerms(weekday=1, starts=time(16), ends=time(18), capacity=10, kind="town_round", label="Stadttour"),
        ],
        "lead_minutes": 90,
    }
    return DeliveryTermsSet.model_validate(fields | changes)


def test_before_dispatch_publishes_terms_the_couriers_deliver_for_nobody() -> None:
    assert town_delivery(None, MONDAY_10) is None
    assert delivered_for(None, True, MARKT, "59348") is None


def test_a_shop_in_a_zone_that_offers_delivery_is_delivered_for_in_that_zone() -> None:
    town = town_delivery(terms(), MONDAY_10)
    delivery = delivered_for(town, True, MARKT, "59348")
    assert delivery is not None and delivery.zone == INNENSTADT
    assert delivery.town.zone_names == ("Innenstadt", "Seppenrade")


def test_a_shop_outside_every_zone_or_not_offering_delivery_or_without_a_pin_is_not() -> None:
    town = town_delivery(terms(), MONDAY_10)
    assert delivered_for(town, True, BURG_VISCHERING, "59348") is None
    assert delivered_for(town, False, MARKT, "59348") is None
    assert delivered_for(town, True, None, "59348") is None  # the polygon needs the pin


def test_a_zone_of_postal_codes_takes_a_shop_by_its_postal_code_pin_or_not() -> None:
    town = town_delivery(terms(), MONDAY_10)
    for pin in (None, BURG_VISCHERING):
        delivery = delivered_for(town, True, pin, "59349")
        assert delivery is not None and delivery.zone == SEPPENRADE


def test_the_next_slot_starts_after_the_lead_time_from_now() -> None:
    town = town_delivery(terms(), MONDAY_10)  # Monday 11:00 is within the 90 minutes' lead
    assert town is not None and town.next_slot is not None
    assert town.next_slot.starts_at == datetime(2026, 12, 8, 16, 0, tzinfo=BERLIN)
    assert (town.next_slot.kind, town.next_slot.label) == ("town_round", "Stadttour")

    soon = town_delivery(terms(lead_minutes=30), MONDAY_10)
    assert soon is not None and soon.next_slot is not None
    assert soon.next_slot.starts_at == datetime(2026, 12, 7, 11, 0, tzinfo=BERLIN)


def test_after_the_weeks_last_slot_the_next_is_next_weeks() -> None:
    tuesday_evening = datetime(2026, 12, 8, 17, 0, tzinfo=BERLIN)
    town = town_delivery(terms(), tuesday_evening)
    assert town is not None and town.next_slot is not None
    assert town.next_slot.starts_at == datetime(2026, 12, 14, 11, 0, tzinfo=BERLIN)


def test_a_lead_time_of_a_week_still_finds_a_slot() -> None:
    town = town_delivery(terms(lead_minutes=7 * 24 * 60), MONDAY_10)
    assert town is not None and town.next_slot is not None
    assert town.next_slot.starts_at == datetime(2026, 12, 14, 11, 0, tzinfo=BERLIN)  # a week and an hour on


def test_now_must_be_on_a_clock_with_a_zone() -> None:
    with pytest.raises(ValueError, match="aware"):
        town_delivery(terms(), MONDAY_10.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("fee", "offer"),
    [
        (FeeRuleTerms(pricing="flat", cents=490), FeeOffer("flat", 490)),
        (FeeRuleTerms(pricing="flat", cents=490, free_above_cents=5000), FeeOffer("flat", 490, 5000)),
        (FeeRuleTerms(pricing="distance", base_cents=350, per_km_cents=60), FeeOffer("from", 350)),
        (FeeRuleTerms(pricing="distance", base_cents=350, free_above_cents=4000), FeeOffer("from", 350, 4000)),
        (FeeRuleTerms(pricing="free"), FeeOffer("free", 0)),
        (FeeRuleTerms(pricing="free", free_above_cents=4000), FeeOffer("free", 0)),
        (FeeRuleTerms(pricing="flat", cents=0), FeeOffer("free", 0)),
        (FeeRuleTerms(pricing="flat", cents=490, paid_by="town"), FeeOffer("free", 0)),  # Dülmen's way
        (FeeRuleTerms(pricing="flat", cents=490, free_above_cents=0), FeeOffer("free", 0)),
    ],
)
def test_the_fee_shown_is_the_towns_rule_for_a_door_in_its_zones(fee: FeeRuleTerms, offer: FeeOffer) -> None:
    assert fee_offer(fee_rule_of(fee)) == offer


@pytest.mark.parametrize(
    ("offer", "de", "en"),
    [
        (FeeOffer("free", 0), "Lieferung kostenlos", "free delivery"),
        (FeeOffer("flat", 490), "Lieferung {490}", "delivery {490}"),
        (FeeOffer("from", 350), "Lieferung ab {350}", "delivery from {350}"),
        (FeeOffer("flat", 490, 5000), "Lieferung {490}, ab {5000} Einkaufswert kostenlos",
         "delivery {490}, free on orders from {5000}"),
        (FeeOffer("from", 350, 4000), "Lieferung ab {350}, ab {4000} Einkaufswert kostenlos",
         "delivery from {350}, free on orders from {4000}"),
    ],
)  # fmt: skip
def test_the_fee_reads_in_the_readers_language_with_its_money(offer: FeeOffer, de: str, en: str) -> None:
    for language, expected in (("de", de), ("en", en)):
        money = {f"{{{cents}}}": format_money(cents, language) for cents in (350, 490, 4000, 5000)}
        for placeholder, amount in money.items():
            expected = expected.replace(placeholder, amount)
        assert fee_text(offer, language, gettext(language)) == expected


def test_the_directory_shows_zone_fee_and_next_slot_on_the_towns_clock() -> None:
    town = town_delivery(terms(fee=FeeRuleTerms(pricing="distance", base_cents=350, per_km_cents=60)), MONDAY_10)
    delivery = delivered_for(town, True, MARKT, "59348")
    assert delivery is not None

    german = CourierDeliveryOut.of(delivery, "de", gettext("de")).model_dump(mode="json")
    english = CourierDeliveryOut.of(delivery, "en", gettext("en")).model_dump(mode="json")

    assert german["zone"] == "Innenstadt" and german["zone_id"] == str(INNENSTADT.zone_id)
    assert german["delivers_to"] == ["Innenstadt", "Seppenrade"]
    assert (german["fee"], german["fee_kind"], german["fee_cents"]) == ("Lieferung ab 3,50\u00a0€", "from", 350)
    assert german["next_slot"] == {
        "starts_at": "2026-12-08T16:00:00+01:00",
        "ends_at": "2026-12-08T18:00:00+01:00",
        "kind": "town_round",
        "label": "Stadttour",
        "text": "Dienstag, 8. Dezember 2026, 16:00–18:00 Uhr",
    }
    assert english["fee"] == "delivery from €3.50"
    assert english["next_slot"]["text"].startswith("Tuesday, December 8, 2026, 4:00")


def gettext(language: str) -> Any:
    return partial(catalog_texts(None, "Europe/Berlin").gettext, language)
