# SPDX-License-Identifier: Apache-2.0
"""The public contract: upcasting, the CloudEvents Kafka binding, and refusing bad records."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from downtown_events import CloudEvent, InvalidEnvelope, InvalidEventData, UnknownEventType, registry
from downtown_events.catalog import MerchantAvailabilityNoted, MerchantRegistered, OfferListed

V1_MERCHANT = {
    "merchant_id": "5f0e7c8a-0000-4000-8000-000000000001",
    "name": "Weinhandlung Böckmann",
    "category": "Wein",
    "address": "Hauptstraße 1, 48624 Schöppingen",
    "phone": "02555 1234",
    "email": "info@boeckmann.de",
}


def test_a_stored_v1_merchant_is_read_as_v2_with_a_structured_address() -> None:
    event = registry.decode("downtown.catalog.MerchantRegistered", 1, V1_MERCHANT)

    assert isinstance(event, MerchantRegistered)
    assert event.profile.name == "Weinhandlung Böckmann"
    assert (event.profile.address.street, event.profile.address.postal_code, event.profile.address.city) == (
        "Hauptstraße 1",
        "48624",
        "Schöppingen",
    )
    assert event.opening_hours == []


def test_the_newest_version_decodes_unchanged() -> None:
    v2 = registry.decode("downtown.catalog.MerchantRegistered", 1, V1_MERCHANT)
    again = registry.decode_ce_type(type(v2).ce_type(), json.loads(v2.model_dump_json()))
    assert again == v2
    assert type(v2).ce_type() == "downtown.catalog.MerchantRegistered.v2"


def test_an_availability_note_is_one_short_line_for_a_day_and_may_be_empty() -> None:
    def noted(note: str) -> object:
        data = {"merchant_id": str(uuid4()), "note": note, "for_day": "2026-12-07"}
        return registry.decode("downtown.catalog.MerchantAvailabilityNoted", 1, data)

    cleared = noted("")
    assert isinstance(cleared, MerchantAvailabilityNoted)
    assert (cleared.note, cleared.for_day) == ("", date(2026, 12, 7))
    # like every EventLine, a control character the log might hold is dropped on reading
    assert getattr(noted("Heute\tnur Abholung"), "note", None) == "Heutenur Abholung"
    with pytest.raises(InvalidEventData):
        noted("x" * 201)


def test_unknown_types_and_future_versions_are_refused() -> None:
    with pytest.raises(UnknownEventType):
        registry.decode("downtown.catalog.Nonsense", 1, {})
    with pytest.raises(UnknownEventType):
        registry.decode("downtown.catalog.MerchantRegistered", 99, V1_MERCHANT)


def test_a_reader_ignores_fields_a_newer_writer_added() -> None:
    offer = {
        "offer_id": str(uuid4()),
        "merchant_id": str(uuid4()),
        "kind": "product",
        "title": "Brot",
        "price_cents": 350,
        "added_later": {"anything": True},
    }
    event = registry.decode("downtown.catalog.OfferListed", 1, offer)
    assert isinstance(event, OfferListed) and event.price_cents == 350


def _envelope() -> CloudEvent:
    event = OfferListed(offer_id=uuid4(), merchant_id=uuid4(), kind="product", title="Käse", price_cents=499)
    return CloudEvent(
        id=str(uuid4()),
        source="/towns/demo/catalog",
        type=OfferListed.ce_type(),
        subject=str(event.offer_id),
        time=datetime.now(UTC),
        town="demo",
        streamversion=1,
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        data=event.model_dump_json().encode(),
    )


def test_the_kafka_binding_is_binary_mode_with_ce_headers_and_the_aggregate_as_key() -> None:
    envelope = _envelope()
    key, value, headers = envelope.to_kafka()
    names = dict(headers)

    assert key == envelope.subject.encode()
    assert json.loads(value)["title"] == "Käse"
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_type"] == b"downtown.catalog.OfferListed.v1"
    assert names["content-type"] == b"application/json"
    assert names["ce_town"] == b"demo"
    assert names["traceparent"].startswith(b"00-0af7651916cd43dd8448eb211c80319c")
    assert CloudEvent.from_kafka(key, value, headers) == envelope


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: [x for x in h if x[0] != "ce_type"], "type"),
        (lambda h: [(k, b"0.3" if k == "ce_specversion" else v) for k, v in h], "specversion"),
        (lambda h: [(k, b"text/plain" if k == "content-type" else v) for k, v in h], "content-type"),
        (lambda h: [(k, b"\xff" if k == "ce_id" else v) for k, v in h], "UTF-8"),
    ],
)
def test_malformed_records_are_refused_with_the_reason(mutate, reason: str) -> None:  # type: ignore[no-untyped-def]
    key, value, headers = _envelope().to_kafka()
    with pytest.raises(InvalidEnvelope, match=reason):
        CloudEvent.from_kafka(key, value, mutate(headers))


def test_data_that_is_not_json_is_refused_on_decode() -> None:
    key, _, headers = _envelope().to_kafka()
    with pytest.raises(InvalidEventData, match="not JSON"):
        CloudEvent.from_kafka(key, b"\x00garbage", headers).decode()


@pytest.mark.parametrize(
    ("header", "value", "reason"),
    [("ce_time", b"yesterday", "time"), ("ce_streamversion", b"0", "streamversion"), ("ce_id", b"", "id")],
)
def test_attributes_with_bad_values_are_refused(header: str, value: bytes, reason: str) -> None:
    key, data, headers = _envelope().to_kafka()
    with pytest.raises(InvalidEnvelope, match=reason):
        CloudEvent.from_kafka(key, data, [(k, value if k == header else v) for k, v in headers])


def test_an_old_version_on_the_wire_is_upcast_too() -> None:
    envelope = replace(
        _envelope(), type="downtown.catalog.MerchantRegistered.v1", data=json.dumps(V1_MERCHANT).encode()
    )
    assert isinstance(envelope.decode(), MerchantRegistered)


def test_hours_written_with_a_time_zone_are_read_as_wall_clock_times() -> None:
    """Early writers accepted "00:00:00Z"; such events must load and compare with the rest."""
    from downtown_events.catalog import TimeWindow

    zoned = TimeWindow.model_validate({"weekday": 0, "opens": "00:00:00Z", "closes": "10:00"})
    plain = TimeWindow.model_validate({"weekday": 0, "opens": "00:00", "closes": "10:00"})
    assert zoned == plain and zoned.opens.tzinfo is None


def test_an_old_event_its_upcaster_cannot_lift_is_invalid_data_not_a_crash() -> None:
    """A v1 record lacking a field must reach the dead-letter topic, not retry forever."""
    from downtown_events.contract import InvalidEventData, registry

    with pytest.raises(InvalidEventData, match="cannot be upcast"):
        registry.decode("downtown.catalog.MerchantRegistered", 1, {"name": "ohne Id"})
