# SPDX-License-Identifier: Apache-2.0
"""The envelope around every event on Kafka: CloudEvents 1.0, Kafka protocol binding, binary mode.

Attributes travel as ``ce_*`` headers, the data is the record value (JSON), and the key is
the aggregate id, so one aggregate's events share a partition and stay in order. Two
extension attributes are Downtown's own: ``ce_town`` (which instance wrote it) and
``ce_streamversion`` (the event's position in its aggregate's stream, which lets a
consumer drop duplicates and notice gaps). W3C ``traceparent``/``tracestate`` ride along
as plain headers, as the OpenTelemetry Kafka conventions do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from downtown_events.contract import IntegrationEvent, registry

Headers = Sequence[tuple[str, bytes]]

_ATTRIBUTE_HEADERS = {
    "ce_id": "id",
    "ce_source": "source",
    "ce_type": "type",
    "ce_specversion": "specversion",
    "ce_subject": "subject",
    "ce_time": "time",
    "content-type": "datacontenttype",
    "ce_town": "town",
    "ce_streamversion": "streamversion",
    "traceparent": "traceparent",
    "tracestate": "tracestate",
}


_REQUIRED = ("id", "source", "type", "subject", "time", "town", "streamversion")


class InvalidEnvelope(ValueError):
    """A Kafka record that is not a well-formed Downtown CloudEvent; the reason says why."""


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """One event as it travels: attributes plus the JSON data, not yet decoded to a model.

    A plain dataclass rather than a pydantic model: every consumer builds one per record,
    and :meth:`from_kafka` checks the attributes itself.
    """

    id: str
    source: str
    type: str
    subject: str
    time: datetime
    town: str
    streamversion: int
    data: bytes
    specversion: str = "1.0"
    datacontenttype: str = "application/json"
    traceparent: str | None = None
    tracestate: str | None = None

    def to_kafka(self) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        """Key, value and headers of the Kafka record in binary content mode."""
        headers = []
        for header, attribute in _ATTRIBUTE_HEADERS.items():
            value = getattr(self, attribute)
            if value is None:
                continue
            text = value.isoformat() if isinstance(value, datetime) else str(value)
            headers.append((header, text.encode()))
        return self.subject.encode(), self.data, headers

    @classmethod
    def from_kafka(cls, key: bytes | None, value: bytes | None, headers: Headers) -> CloudEvent:
        """Read a record back; anything malformed raises :class:`InvalidEnvelope`.

        Every consumer calls this for every record, so the attributes are checked by hand
        and the model built without a second validation pass.
        """
        return cls(*kafka_attributes(key, value, headers))

    def trace_headers(self) -> dict[str, str]:
        """The W3C trace context the event carries, to continue its trace."""
        headers = {"traceparent": self.traceparent, "tracestate": self.tracestate}
        return {name: value for name, value in headers.items() if value}

    def decode(self) -> IntegrationEvent:
        """The data as the newest model of its type (upcast from older versions)."""
        return registry.decode_json(self.type, self.data)


EnvelopeFields = tuple[str, str, str, str, datetime, str, int, bytes, str, str, str | None, str | None]
"""A :class:`CloudEvent`'s fields in declaration order: ``CloudEvent(*fields)`` is the envelope."""
# Where kafka_attributes puts what a consumer looks at before it needs the whole envelope:
TYPE: Final = 2
SUBJECT: Final = 3
TOWN: Final = 5
STREAMVERSION: Final = 6


def kafka_attributes(key: bytes | None, value: bytes | None, headers: Headers) -> EnvelopeFields:
    """The checks of :meth:`CloudEvent.from_kafka`, returning the fields without building the envelope.

    A rebuild reads every record of a log and looks only at where most of them belong
    (stream and version); this is the one place that decides whether a record is a
    well-formed envelope, for it and for every consumer alike.
    """
    found: dict[str, str] = {}
    attribute_of = _ATTRIBUTE_HEADERS.get
    for header, raw in headers:
        attribute = attribute_of(header)
        if attribute is not None:
            try:
                found[attribute] = raw.decode()
            except UnicodeDecodeError:
                raise InvalidEnvelope(f"header {header} is not UTF-8") from None
    if value is None:
        raise InvalidEnvelope("record has no value (data)")
    specversion = found.get("specversion")
    if specversion != "1.0":
        raise InvalidEnvelope(f"ce_specversion must be 1.0, got {specversion!r}")
    content_type = found.get("datacontenttype", "application/json")
    if content_type != "application/json":
        raise InvalidEnvelope(f"unsupported content-type {content_type!r}")
    subject = found.get("subject")
    if not subject and key:
        subject = key.decode(errors="replace")
    event_id, source, event_type = found.get("id"), found.get("source"), found.get("type")
    time_text, town, version_text = found.get("time"), found.get("town"), found.get("streamversion")
    if not (event_id and source and event_type and subject and time_text and town and version_text):
        given = (event_id, source, event_type, subject, time_text, town, version_text)
        missing = [name for name, value in zip(_REQUIRED, given, strict=True) if not value]
        raise InvalidEnvelope(f"bad or missing CloudEvents attributes: {', '.join(missing)}")
    try:
        time = datetime.fromisoformat(time_text)
        streamversion = int(version_text)
    except ValueError as error:
        raise InvalidEnvelope(f"bad or missing CloudEvents attributes: time or streamversion ({error})") from None
    if streamversion < 1:
        raise InvalidEnvelope("bad or missing CloudEvents attributes: streamversion must be >= 1")
    traceparent, tracestate = found.get("traceparent"), found.get("tracestate")
    return (event_id, source, event_type, subject, time, town, streamversion, value, specversion, content_type,
            traceparent, tracestate)  # fmt: skip
