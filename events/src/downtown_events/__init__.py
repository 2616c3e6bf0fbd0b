# SPDX-License-Identifier: Apache-2.0
"""Downtown's public event contracts: typed, versioned models and the CloudEvents envelope.

Depends on pydantic only, so integrators can ``pip install downtown-events`` and read any
town's topics. The services' event-sourcing runtime lives in :mod:`downtown_events.runtime`
and needs the ``[runtime]`` extra.
"""

from downtown_events import catalog, dispatch, ordering, vouchers
from downtown_events.contract import (
    EventRegistry,
    IntegrationEvent,
    InvalidEventData,
    UnknownEventType,
    registry,
)
from downtown_events.envelope import CloudEvent, InvalidEnvelope
from downtown_events.topics import dead_letter_topic, event_source, events_topic

__all__ = [
    "CloudEvent",
    "EventRegistry",
    "IntegrationEvent",
    "InvalidEnvelope",
    "InvalidEventData",
    "UnknownEventType",
    "catalog",
    "dead_letter_topic",
    "dispatch",
    "event_source",
    "events_topic",
    "ordering",
    "registry",
    "vouchers",
]
