# SPDX-License-Identifier: Apache-2.0
"""What consumers receive: Kafka records, and the events decoded from them.

Transport-neutral: the faust worker and the rebuild's plain aiokafka reader both turn
their messages into :class:`KafkaRecord` and decode them here.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from downtown_events.contract import IntegrationEvent, InvalidEventData, UnknownEventType
from downtown_events.envelope import CloudEvent, InvalidEnvelope


class KafkaRecord(NamedTuple):
    """A record as any transport hands it over (a tuple: rebuilds make millions of them)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass(frozen=True)
class _Delivered:
    """A record with a sound envelope: which stream it belongs to and where in it."""

    record: KafkaRecord
    envelope: CloudEvent

    @property
    def stream_id(self) -> str:
        return self.envelope.subject

    @property
    def stream_version(self) -> int:
        return self.envelope.streamversion


@dataclass(frozen=True)
class ReceivedEvent(_Delivered):
    """A decoded event with where it came from; ``event`` is the newest model version."""

    event: IntegrationEvent


@dataclass(frozen=True)
class UnreadableEvent(_Delivered):
    """An event of this town whose envelope is sound but whose data this reader cannot
    decode (an unknown type or version, invalid data). It is dead-lettered and counted as
    processed, so the later events of its stream still flow."""

    reason: str


@dataclass(frozen=True)
class SkippedEvent(_Delivered):
    """An event of a type the consumer does not read: its data is never decoded, but its
    stream version counts as applied, so the stream's later events still flow."""


Decoded = ReceivedEvent | UnreadableEvent | SkippedEvent


def decode_record(record: KafkaRecord, town: str, reads: Container[str] | None = None) -> Decoded:
    """Raise :class:`InvalidEnvelope` for a record that is not a Downtown event of ``town``.

    ``reads`` (event type names, without version) lets a consumer skip decoding the data
    of every other type: the envelope alone says where the event belongs.
    """
    envelope = CloudEvent.from_kafka(record.key, record.value, record.headers)
    if envelope.town != town:
        raise InvalidEnvelope(f"event of town {envelope.town!r} on a topic of town {town!r}")
    if reads is not None and envelope.type.rpartition(".v")[0] not in reads:
        return SkippedEvent(record, envelope)
    return decode_data(record, envelope)


def decode_parked(record: KafkaRecord) -> Decoded:
    """A record that passed :func:`decode_record` once and was parked, read back."""
    return decode_data(record, CloudEvent.from_kafka(record.key, record.value, record.headers))


def decode_data(record: KafkaRecord, envelope: CloudEvent) -> ReceivedEvent | UnreadableEvent:
    """The data of a record whose envelope is sound: the event, or why it cannot be read."""
    try:
        return ReceivedEvent(record, envelope, envelope.decode())
    except (InvalidEnvelope, UnknownEventType, InvalidEventData) as error:
        return UnreadableEvent(record, envelope, str(error))
