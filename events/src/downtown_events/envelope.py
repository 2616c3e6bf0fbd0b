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
from typing import Any

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
        attributes: dict[str, Any] = {}
        for header, raw in headers:
            attribute = _ATTRIBUTE_HEADERS.get(header)
            if attribute is not None:
                try:
                    attributes[attribute] = raw.decode()
                except UnicodeDecodeError:
                    raise InvalidEnvelope(f"header {header} is not UTF-8") from None
        if value is None:
            raise InvalidEnvelope("record has no value (data)")
        if attributes.get("specversion") != "1.0":
            raise InvalidEnvelope(f"ce_specversion must be 1.0, got {attributes.get('specversion')!r}")
        if attributes.setdefault("datacontenttype", "application/json") != "application/json":
            raise InvalidEnvelope(f"unsupported content-type {attributes['datacontenttype']!r}")
        if not attributes.get("subject") and key:
            attributes["subject"] = key.decode(errors="replace")
        missing = [name for name in _REQUIRED if not attributes.get(name)]
        if missing:
            raise InvalidEnvelope(f"bad or missing CloudEvents attributes: {', '.join(missing)}")
        try:
            attributes["time"] = datetime.fromisoformat(attributes["time"])
            attributes["streamversion"] = int(attributes["streamversion"])
        except ValueError as error:
            raise InvalidEnvelope(f"bad or missing CloudEvents attributes: time or streamversion ({error})") from None
        if attributes["streamversion"] < 1:
            raise InvalidEnvelope("bad or missing CloudEvents attributes: streamversion must be >= 1")
        return cls(data=value, **attributes)

    def trace_headers(self) -> dict[str, str]:
        """The W3C trace context the event carries, to continue its trace."""
        headers = {"traceparent": self.traceparent, "tracestate": self.tracestate}
        return {name: value for name, value in headers.items() if value}

    def decode(self) -> IntegrationEvent:
        """The data as the newest model of its type (upcast from older versions)."""
        return registry.decode_json(self.type, self.data)
