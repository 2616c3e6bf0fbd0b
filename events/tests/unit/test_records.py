# SPDX-License-Identifier: Apache-2.0
"""A consumer decodes only the event types it reads; the rest only advance their streams."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from downtown_events.catalog import OfferListed, OfferPriceChanged
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent, SkippedEvent, decode_record


def record(ce_type: str, data: bytes) -> KafkaRecord:
    envelope = CloudEvent(str(uuid4()), "/towns/t/catalog", ce_type, "s-1", datetime.now(UTC), "tt", 2, data)
    key, value, headers = envelope.to_kafka()
    return KafkaRecord("tt.catalog.events", 0, 7, key, value, headers)


def test_a_type_the_consumer_does_not_read_is_skipped_without_decoding_its_data() -> None:
    broken = record(OfferPriceChanged.ce_type(), b"{not even json")
    skipped = decode_record(broken, "tt", reads={OfferListed.type_name()})
    assert isinstance(skipped, SkippedEvent) and (skipped.stream_id, skipped.stream_version) == ("s-1", 2)


def test_a_type_the_consumer_reads_is_decoded() -> None:
    listed = OfferListed(offer_id=uuid4(), merchant_id=uuid4(), kind="product", title="Tee", price_cents=1)
    decoded = decode_record(
        record(OfferListed.ce_type(), listed.model_dump_json().encode()), "tt", {OfferListed.type_name()}
    )
    assert isinstance(decoded, ReceivedEvent) and decoded.event == listed
