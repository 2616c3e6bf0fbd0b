# SPDX-License-Identifier: AGPL-3.0-or-later
"""Who delivers here: a running catalog (API and worker, real Kafka and PostgreSQL) hears the
delivery terms dispatch publishes on ``<town>.dispatch.events`` and its directory says, per
merchant, whether the town's couriers deliver for it, in which zone, at what fee and in
which slot next. The town's clock is a file the test sets (``DOWNTOWN_CLOCK_FILE``), so the
next slot is known whatever day the test runs on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest

from downtown_events.dispatch import DeliveryTermsSet, DeliveryZoneTerms, FeeRuleTerms, SlotTerms
from downtown_events.envelope import CloudEvent
from downtown_events.geo import GeoPoint
from downtown_events.runtime.clock_file import set_clock
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.topics import event_source, events_topic
from tests.support.catalog_client import REGISTRATION
from tests.support.local_stack import KAFKA, ServiceInstance, random_town, running_catalog
from tests.support.polling import wait_until

pytestmark = pytest.mark.integration

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)
LUEDINGHAUSEN = DeliveryZoneTerms(
    zone_id=uuid4(),
    name="Lüdinghausen Mitte",
    polygon=[
        GeoPoint(lat=51.76, lon=7.42),
        GeoPoint(lat=51.76, lon=7.45),
        GeoPoint(lat=51.78, lon=7.45),
        GeoPoint(lat=51.78, lon=7.42),
    ],
)
SEPPENRADE = DeliveryZoneTerms(zone_id=uuid4(), name="Seppenrade", postal_codes=["59349"])
TERMS = DeliveryTermsSet(
    terms_id=uuid4(),
    courier_service_id=uuid4(),
    zones=[LUEDINGHAUSEN, SEPPENRADE],
    fee=FeeRuleTerms(pricing="distance", base_cents=350, per_km_cents=60, free_above_cents=5000),
    slots=[
        SlotTerms(weekday=0, starts=time(11), ends=time(13), capacity=8),
        SlotTerms(weekday=1, starts=time(16), ends=time(18), capacity=8, kind="town_round", label="Stadttour"),
    ],
    lead_minutes=90,
)


@pytest.fixture(scope="module")
def town(databases: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceInstance]:
    """A catalog of its own whose clock reads Monday 10:00 in town."""
    workdir = tmp_path_factory.mktemp("who-delivers")
    clock = workdir / "clock"
    set_clock(clock, MONDAY_10)
    name = random_town()
    env = {"DOWNTOWN_CLOCK_FILE": str(clock)}
    with running_catalog(name, databases.create(name, "catalog"), workdir, env) as instance:
        yield instance


def register(catalog: ServiceInstance, name: str, **changes: Any) -> str:
    body = {**REGISTRATION, "name": name, **changes}
    response = httpx.post(f"{catalog.api}/merchants", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["merchant"]["merchant_id"])


def directory(catalog: ServiceInstance, **params: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{catalog.api}/directory", params=params)
    assert response.status_code == 200, response.text
    return {entry["merchant_id"]: entry for entry in response.json()}


def listing(catalog: ServiceInstance, merchants: Any) -> dict[str, dict[str, Any]] | None:
    """The directory once it lists every one of ``merchants``."""
    found = directory(catalog)
    return found if set(merchants) <= set(found) else None


async def publish_terms(town: str, terms: DeliveryTermsSet) -> None:
    """As dispatch's relay publishes them: keyed by the terms' stream, a CloudEvent."""
    producer = reliable_producer(KAFKA, client_id="test-dispatch")
    await producer.start()
    try:
        envelope = CloudEvent(
            str(uuid4()), event_source(town, "dispatch"), DeliveryTermsSet.ce_type(), str(terms.terms_id),
            datetime.now(UTC), town, 1, terms.model_dump_json().encode(),
        )  # fmt: skip
        key, value, headers = envelope.to_kafka()
        await producer.send_and_wait(events_topic(town, "dispatch"), value=value, key=key, headers=headers)
    finally:
        await producer.stop()


def in_town(street: str = "Marktplatz 1", postal_code: str = "59348") -> dict[str, str]:
    return {"street": street, "postal_code": postal_code, "city": "Lüdinghausen"}


def test_the_directory_says_who_the_towns_couriers_deliver_for(town: ServiceInstance) -> None:
    markt = {"lat": 51.7731, "lon": 7.4402}
    ids = {
        "in the zone": register(town, "Weinhaus am Markt", address=in_town(), location=markt),
        "outside": register(town, "Hofladen Vischering", address=in_town("Zur Vischering 2"),
                            location={"lat": 51.7993, "lon": 7.4431}),
        "by postal code": register(town, "Bäckerei Seppenrade", address=in_town("Dorfstraße 3", "59349")),
        "no delivery": register(town, "Buchhandlung am Markt", address=in_town(), location=markt,
                                offers_delivery=False),
        "no location": register(town, "Blumen Lütke", address=in_town("Mühlenstraße 4")),
    }  # fmt: skip
    before = wait_until(lambda: listing(town, ids.values()), what="the merchants in the directory")
    assert all(before[merchant]["courier_delivery"] is None for merchant in ids.values())  # no terms yet
    assert before[ids["in the zone"]]["location"] == markt

    asyncio.run(publish_terms(town.town, TERMS))
    delivered = wait_until(
        lambda: {m for m, entry in directory(town).items() if entry["courier_delivery"]} or None,
        what="the couriers' terms in the directory",
    )

    assert delivered == {ids["in the zone"], ids["by postal code"]}
    entries = directory(town, lang="de")
    markt_entry = entries[ids["in the zone"]]["courier_delivery"]
    assert (markt_entry["zone_id"], markt_entry["zone"]) == (str(LUEDINGHAUSEN.zone_id), "Lüdinghausen Mitte")
    assert markt_entry["delivers_to"] == ["Lüdinghausen Mitte", "Seppenrade"]
    assert markt_entry["fee"] == "Lieferung ab 3,50\u00a0€, ab 50,00\u00a0€ Einkaufswert kostenlos"
    assert (markt_entry["fee_kind"], markt_entry["fee_cents"], markt_entry["free_above_cents"]) == ("from", 350, 5000)
    # Monday 11:00 is inside the 90 minutes' lead: Tuesday's town round is next.
    assert markt_entry["next_slot"] == {
        "starts_at": "2026-03-03T16:00:00+01:00",
        "ends_at": "2026-03-03T18:00:00+01:00",
        "kind": "town_round",
        "label": "Stadttour",
        "text": "Dienstag, 3. März 2026, 16:00–18:00 Uhr",
    }
    assert entries[ids["by postal code"]]["courier_delivery"]["zone"] == "Seppenrade"

    english = directory(town, lang="en")[ids["in the zone"]]["courier_delivery"]
    assert english["fee"] == "delivery from €3.50, free on orders from €50.00"

    couriers = httpx.get(f"{town.api}/directory", params={"offers": "couriers"}).json()
    assert {entry["merchant_id"] for entry in couriers} == delivered
    one = httpx.get(f"{town.api}/directory/{ids['in the zone']}").json()
    assert one["courier_delivery"]["zone"] == "Lüdinghausen Mitte"


def test_a_merchant_that_moves_into_the_zone_is_delivered_for(town: ServiceInstance) -> None:
    response = httpx.post(f"{town.api}/merchants", json={**REGISTRATION, "name": "Rad & Tat", "address": in_town()})
    assert response.status_code == 201, response.text
    merchant_id = UUID(response.json()["merchant"]["merchant_id"])
    auth = {"Authorization": f"Bearer {response.json()['token']}"}
    asyncio.run(publish_terms(town.town, TERMS))  # the terms, whichever test runs first

    profile = {**REGISTRATION, "name": "Rad & Tat", "address": in_town(), "location": {"lat": 51.77, "lon": 7.43}}
    profile.pop("opening_hours")
    changed = httpx.put(f"{town.api}/merchants/me/profile", json=profile, headers=auth)
    assert changed.status_code == 200, changed.text
    assert changed.json()["profile"]["location"] == {"lat": 51.77, "lon": 7.43}

    entry = wait_until(
        lambda: httpx.get(f"{town.api}/directory/{merchant_id}").json().get("courier_delivery"),
        what="the moved shop delivered for",
    )
    assert entry["zone"] == "Lüdinghausen Mitte"


@pytest.mark.parametrize(
    "location",
    ['{"lat": 91, "lon": 7.4}', '{"lat": NaN, "lon": 7.4}', '{"lat": 51.8, "lon": Infinity}', '{"lat": "51.8"}'],
)
def test_a_location_off_the_earth_is_refused_and_nothing_is_registered(town: ServiceInstance, location: str) -> None:
    name = f"Laden {uuid4().hex[:8]}"
    fields = {**REGISTRATION, "name": name, "address": in_town(), "location": "LOCATION"}
    body = json.dumps(fields).replace('"LOCATION"', location)  # JSON as a hostile client may write it
    response = httpx.post(f"{town.api}/merchants", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "location" in response.text
    assert name not in {entry["name"] for entry in directory(town).values()}
