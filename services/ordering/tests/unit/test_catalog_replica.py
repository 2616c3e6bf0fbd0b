# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's replica of the catalog's offers: an offer's own VAT rate, and whether it is a
video consultation (a service held by video), folded from the catalog's events and read
back as the facts checkout and invoices use."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4

from downtown_events.catalog import OfferListed, OfferPriceChanged, OfferVatRateChanged, TimeWindow
from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.projection import RowSet
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent
from ordering.projections.catalog_replica import OFFERS, CatalogReplica
from ordering.projections.read_models import _offer

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEDNESDAY = TimeWindow(weekday=2, opens=time(14), closes=time(18))
_offsets = count()


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


def folded(*events: IntegrationEvent) -> dict[str, Any]:
    """The offer's row after its stream's events (all of one offer)."""
    offer_id = events[0].offer_id  # type: ignore[attr-defined]
    rows = CatalogReplica().fold(RowSet(), [received(event, offer_id, n) for n, event in enumerate(events, 1)])
    row = rows.get(OFFERS, offer_id)
    assert row is not None
    return row


def service(held: str, **fields: Any) -> OfferListed:
    return OfferListed.model_validate(
        {
            "offer_id": uuid4(),
            "merchant_id": uuid4(),
            "kind": "service",
            "title": "Weinberatung",
            "price_cents": 2500,
            "duration_minutes": 30,
            "weekly_availability": [WEDNESDAY],
            "held": held,
            "vat_percent": 19,
            **fields,
        }
    )


def test_a_book_listed_at_7_percent_is_sold_at_7() -> None:
    book = OfferListed(
        offer_id=uuid4(), merchant_id=uuid4(), kind="product", title="Der Stechlin", price_cents=1490, vat_percent=7
    )
    facts = _offer(folded(book))
    assert (facts.vat_percent, facts.video_consultation) == (7, False)


def test_a_rate_changed_later_replaces_the_listed_one_and_other_changes_keep_it() -> None:
    book = OfferListed(
        offer_id=uuid4(), merchant_id=uuid4(), kind="product", title="Kalender", price_cents=1290, vat_percent=7
    )
    ids = {"offer_id": book.offer_id, "merchant_id": book.merchant_id}
    changed = OfferVatRateChanged(**ids, vat_percent=19, previous_vat_percent=7)
    repriced = OfferPriceChanged(**ids, price_cents=990, previous_price_cents=1290)
    facts = _offer(folded(book, changed, repriced))
    assert (facts.vat_percent, facts.price_cents) == (19, 990)


def test_only_a_service_held_by_video_is_a_video_consultation() -> None:
    assert _offer(folded(service("video"))).video_consultation is True
    assert _offer(folded(service("in_person"))).video_consultation is False


def test_an_offer_listed_before_rates_and_video_has_neither() -> None:
    old = OfferListed.model_validate(
        {"offer_id": uuid4(), "merchant_id": uuid4(), "kind": "service", "title": "Haarschnitt", "price_cents": 2500}
    )
    row = folded(old)
    assert (row["vat_percent"], row["held"]) == (None, "in_person")
    facts = _offer(row)
    assert (facts.vat_percent, facts.video_consultation) == (None, False)


def test_a_row_from_before_the_columns_reads_as_no_rate_of_its_own_and_in_person() -> None:
    row = folded(service("video"))
    before = {column: value for column, value in row.items() if column not in {"vat_percent", "held"}}
    facts = _offer({**before, "vat_percent": None, "held": None})
    assert (facts.vat_percent, facts.video_consultation) == (None, False)
