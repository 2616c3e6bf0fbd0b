# SPDX-License-Identifier: AGPL-3.0-or-later
"""An event as a projection or a reaction receives it (a Kafka record with its CloudEvent),
for unit tests that fold events without a broker."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from uuid import UUID, uuid4

from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.records import KafkaRecord, ReceivedEvent

_offsets = count(1)


def received(
    event: IntegrationEvent,
    stream: UUID | str,
    *,
    at: datetime = datetime(2026, 12, 7, 9, tzinfo=UTC),
    topic: str = "store",
    version: int = 1,
    offset: int | None = None,
) -> ReceivedEvent:
    """``event`` of ``stream`` as read from ``topic`` (``"store"``: a store-fed consumer), at the
    next offset unless one is given."""
    envelope = CloudEvent(
        id=str(uuid4()),
        source=f"/towns/testtown/{event.service}",
        type=event.ce_type(),
        subject=str(stream),
        time=at,
        town="testtown",
        streamversion=version,
        data=event.model_dump_json().encode(),
    )
    key, value, headers = envelope.to_kafka()
    record = KafkaRecord(topic, 0, next(_offsets) if offset is None else offset, key, value, headers)
    return ReceivedEvent(record, envelope, event)
