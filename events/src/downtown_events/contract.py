# SPDX-License-Identifier: Apache-2.0
"""What every integration event is, and how old versions stay readable.

An event type is named ``downtown.<service>.<Name>`` and carries an integer schema
version. The log is forever, so a stored v1 must still load when the code only knows v2:
each change registers an *upcaster* that turns the previous version's JSON into the next
one's, and :meth:`EventRegistry.decode` runs the chain up to the newest model. Old
events are never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

JsonObject = dict[str, Any]
Upcaster = Callable[[JsonObject], JsonObject]


class ValueObject(BaseModel):
    """A part of an event (an address, a time window): immutable, tolerant of new fields."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    added_fields: ClassVar[frozenset[str]] = frozenset()
    """Optional fields added after requests carrying this value were first stored; left at
    None they leave a request's fingerprint what it was before they existed (a retry with an
    Idempotency-Key from before the upgrade is still the same request)."""


class IntegrationEvent(BaseModel):
    """Base of every published event: immutable, validated, with a stable type name.

    ``extra="ignore"`` lets an older reader accept a newer writer's additional fields,
    which is the compatibility promise made to integrators.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    service: ClassVar[str]
    event_name: ClassVar[str]
    schema_version: ClassVar[int]
    published: ClassVar[bool] = True

    @classmethod
    def type_name(cls) -> str:
        return f"downtown.{cls.service}.{cls.event_name}"

    @classmethod
    def ce_type(cls) -> str:
        """The CloudEvents ``type``: the name plus the schema version it was written in."""
        return f"{cls.type_name()}.v{cls.schema_version}"


class PrivateEvent(IntegrationEvent):
    """An event a service stores and replays but never publishes.

    For facts that must not leave the service: a voucher code's secret, a customer's full
    address. The event store gives it no outbox row, so the relay never sees it, and the
    published contract (JSON Schema, AsyncAPI) leaves it out. Define private events in the
    service, not in this package.
    """

    published: ClassVar[bool] = False


class UnknownEventType(LookupError):
    """The type (or version) is not one this reader knows."""


class InvalidEventData(ValueError):
    """The JSON does not satisfy the event's schema, even after upcasting."""


E = TypeVar("E", bound=type[IntegrationEvent])


class EventRegistry:
    """The catalogue of event types: latest model per type, old models and upcasters."""

    def __init__(self) -> None:
        self._latest: dict[str, type[IntegrationEvent]] = {}
        self._versions: dict[tuple[str, int], type[IntegrationEvent]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._current: dict[str, type[IntegrationEvent] | None] = {}
        """Per CloudEvents type: its model if that is the newest version, else None (see decode_json)."""

    def register(self, cls: E) -> E:
        """Class decorator: record ``cls`` as the newest version of its type."""
        self._current.clear()
        self._versions[(cls.type_name(), cls.schema_version)] = cls
        current = self._latest.get(cls.type_name())
        if current is None or current.schema_version < cls.schema_version:
            self._latest[cls.type_name()] = cls
        return cls

    def register_old(self, cls: E, upcast_to_next: Upcaster) -> E:
        """Record a superseded version, kept for its schema, and how to lift it one step."""
        self._current.clear()
        self._versions[(cls.type_name(), cls.schema_version)] = cls
        self._upcasters[(cls.type_name(), cls.schema_version)] = upcast_to_next
        return cls

    def latest(self, type_name: str) -> type[IntegrationEvent]:
        try:
            return self._latest[type_name]
        except KeyError:
            raise UnknownEventType(f"unknown event type {type_name!r}") from None

    def all_versions(self) -> list[type[IntegrationEvent]]:
        return [self._versions[key] for key in sorted(self._versions)]

    def decode(self, type_name: str, version: int, data: JsonObject) -> IntegrationEvent:
        """Validate stored JSON of any known version as the newest model of its type."""
        model = self.latest(type_name)
        if version > model.schema_version or (type_name, version) not in self._versions:
            raise UnknownEventType(f"{type_name} has no version {version} known to this reader")
        while version < model.schema_version:
            try:
                data = self._upcasters[(type_name, version)](data)
            except Exception as error:  # an old event the upcaster cannot lift is unreadable, not a crash
                raise InvalidEventData(f"{type_name}.v{version} cannot be upcast: {error!r}") from error
            version += 1
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise InvalidEventData(f"{type_name}.v{version}: {error}") from error

    def decode_ce_type(self, ce_type: str, data: JsonObject) -> IntegrationEvent:
        """Decode by a CloudEvents type such as ``downtown.catalog.OfferListed.v1``."""
        type_name, version = _split_ce_type(ce_type)
        return self.decode(type_name, version, data)

    def decode_json(self, ce_type: str, raw: bytes) -> IntegrationEvent:
        """Decode raw JSON by its CloudEvents type: the hot path of every consumer.

        Data in the newest version is parsed and validated in one step by pydantic's own
        JSON parser; only older versions take the detour through dicts and upcasters.
        """
        try:
            model = self._current[ce_type]
        except KeyError:
            model = self._current_model(ce_type)
        if model is None:
            return self._decode_old_json(ce_type, raw)
        try:
            return model.model_validate_json(raw)
        except ValidationError as error:
            if any(detail["type"] == "json_invalid" for detail in error.errors()):
                raise InvalidEventData(f"{ce_type}: data is not JSON") from error
            raise InvalidEventData(f"{ce_type}: {error}") from error

    def _current_model(self, ce_type: str) -> type[IntegrationEvent] | None:
        """The model of ``ce_type`` if it is its type's newest version, else None; remembered for
        the versions registered. Raises :class:`UnknownEventType` for a type this reader lacks."""
        type_name, version = _split_ce_type(ce_type)
        model = self.latest(type_name)
        current = model if version == model.schema_version else None
        if (type_name, version) in self._versions:
            self._current[ce_type] = current
        return current

    def _decode_old_json(self, ce_type: str, raw: bytes) -> IntegrationEvent:
        type_name, version = _split_ce_type(ce_type)
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidEventData(f"{ce_type}: data is not JSON: {error}") from error
        if not isinstance(data, dict):
            raise InvalidEventData(f"{ce_type}: data must be a JSON object")
        return self.decode(type_name, version, data)


def _split_ce_type(ce_type: str) -> tuple[str, int]:
    type_name, _, version = ce_type.rpartition(".v")
    if not type_name or not version.isdigit():
        raise UnknownEventType(f"malformed event type {ce_type!r}")
    return type_name, int(version)


registry = EventRegistry()
"""The one registry of Downtown's public events; each contract module registers into it."""
