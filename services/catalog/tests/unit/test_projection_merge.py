# SPDX-License-Identifier: AGPL-3.0-or-later
"""A rebuild may fold the catalog's partitions in two processes: the halves must combine exactly.

Random logs are split by stream (a stream lives on one partition), each half is folded from
empty rows in some order, and the rows both halves touched are combined by the policy's
merge; the result must be what folding the whole log, in any order, gives.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4

import pytest

from catalog.projections import TownCatalog, TownDirectory
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
    OfferListed,
    OfferPriceChanged,
    OfferWithdrawn,
    OpeningHoursChanged,
    TimeWindow,
)
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.geo import GeoPoint
from downtown_events.runtime.projection import Projection, Row, RowSet
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

START = datetime(2026, 1, 1, tzinfo=UTC)


def stream(aggregate: UUID, events: Sequence[IntegrationEvent], rng: random.Random) -> list[ReceivedEvent]:
    at, received = START + timedelta(minutes=rng.randrange(10_000)), []
    for version, event in enumerate(events, start=1):
        at += timedelta(seconds=rng.randrange(1, 600))
        envelope = CloudEvent(
            str(uuid4()), "/towns/t/catalog", event.ce_type(), str(aggregate), at, "t", version, b"{}"
        )
        received.append(ReceivedEvent(KafkaRecord("t.catalog.events", 0, 0, None, b"{}", []), envelope, event))
    return received


def profile(rng: random.Random) -> MerchantProfile:
    address = Address(street="Hauptstraße 1", postal_code="48624", city=rng.choice(["Schöppingen", "Horstmar"]))
    return MerchantProfile(
        name=f"Laden {rng.randrange(100)}",
        category="Käse",
        address=address,
        phone="02555 1234",
        email="info@laden.example",
        offers_delivery=rng.random() < 0.5,
        location=GeoPoint(lat=51.8 + rng.random() / 10, lon=7.4 + rng.random() / 10) if rng.random() < 0.5 else None,
    )


def town_log(rng: random.Random) -> list[list[ReceivedEvent]]:
    """Merchants (some never registered), their offers (some withdrawn, some re-priced)."""
    streams = []
    for _ in range(rng.randrange(1, 6)):
        merchant_id = uuid4()
        events: list[IntegrationEvent] = []
        if rng.random() < 0.9:
            hours = [TimeWindow(weekday=1, opens=time(9), closes=time(12))] if rng.random() < 0.5 else []
            events.append(MerchantRegistered(merchant_id=merchant_id, profile=profile(rng), opening_hours=hours))
        for _ in range(rng.randrange(5)):
            events.append(
                rng.choice(
                    [
                        MerchantClosed(merchant_id=merchant_id, note="Urlaub"),
                        MerchantReopened(merchant_id=merchant_id),
                        MerchantAvailabilityNoted(
                            merchant_id=merchant_id, note=rng.choice(["", "nur Abholung"]), for_day=date(2024, 3, 1)
                        ),
                        MerchantSuspended(merchant_id=merchant_id, reason="Prüfung"),
                        MerchantReinstated(merchant_id=merchant_id),
                        MerchantApproved(merchant_id=merchant_id),
                        MerchantApprovalWithdrawn(merchant_id=merchant_id, reason="Prüfung"),
                        MerchantProfileChanged(merchant_id=merchant_id, profile=profile(rng)),
                        OpeningHoursChanged(merchant_id=merchant_id, opening_hours=[]),
                    ]
                )
            )
        streams.append(stream(merchant_id, events, rng))
        for _ in range(rng.randrange(8)):
            offer_id, kind = uuid4(), rng.choice(["product", "service"])
            minutes = 30 if kind == "service" else None
            offer: list[IntegrationEvent] = [
                OfferListed(
                    offer_id=offer_id,
                    merchant_id=merchant_id,
                    kind=kind,
                    title="Tee",
                    price_cents=1,
                    duration_minutes=minutes,
                )
            ]
            if rng.random() < 0.5:
                offer.append(
                    OfferPriceChanged(offer_id=offer_id, merchant_id=merchant_id, price_cents=2, previous_price_cents=1)
                )
            if rng.random() < 0.3:
                offer.append(OfferWithdrawn(offer_id=offer_id, merchant_id=merchant_id, kind=kind))
            streams.append(stream(offer_id, offer, rng))
    return streams


def interleaved(streams: Sequence[list[ReceivedEvent]], rng: random.Random) -> list[ReceivedEvent]:
    """The streams' events in a random order that keeps each stream's own."""
    queues, events = [list(events) for events in streams if events], []
    while queues:
        queue = rng.choice(queues)
        events.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return events


def folded(projection: Projection, events: Sequence[ReceivedEvent]) -> RowSet:
    rows = RowSet()
    rows.read = set()
    return projection.fold(rows, events)


def combined(projection: Projection, first: RowSet, second: RowSet) -> dict[tuple[str, str], Row | None]:
    tables = {table.name: table for table in projection.tables}
    both = (first.changed | (first.read or set())) & (second.changed | (second.read or set()))
    rows = {}
    for key in first.changed | second.changed:
        if key in both:
            rows[key] = projection.merge(tables[key[0]], first.row(*key), second.row(*key))
        else:
            rows[key] = (first if key in first.changed else second).row(*key)
    return rows


@pytest.mark.parametrize("seed", range(200))
def test_the_directory_folded_in_two_halves_and_merged_is_the_directory(seed: int) -> None:
    rng = random.Random(seed)
    streams = town_log(rng)
    sides = [rng.random() < 0.5 for _ in streams]
    whole = folded(TownDirectory(), interleaved(streams, rng))

    first = folded(TownDirectory(), interleaved([s for s, side in zip(streams, sides, strict=True) if side], rng))
    second = folded(TownDirectory(), interleaved([s for s, side in zip(streams, sides, strict=True) if not side], rng))

    assert combined(TownDirectory(), first, second) == {key: whole.row(*key) for key in whole.changed}


@pytest.mark.parametrize("seed", range(50))
def test_catalog_halves_never_touch_the_same_row(seed: int) -> None:
    """So they combine as they are, and the catalog needs no merge."""
    rng = random.Random(seed)
    streams = town_log(rng)
    sides = [rng.random() < 0.5 for _ in streams]
    whole = folded(TownCatalog(), interleaved(streams, rng))

    first = folded(TownCatalog(), interleaved([s for s, side in zip(streams, sides, strict=True) if side], rng))
    second = folded(TownCatalog(), interleaved([s for s, side in zip(streams, sides, strict=True) if not side], rng))

    assert not (first.changed | (first.read or set())) & (second.changed | (second.read or set()))
    assert combined(TownCatalog(), first, second) == {key: whole.row(*key) for key in whole.changed}
