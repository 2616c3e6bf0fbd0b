# SPDX-License-Identifier: Apache-2.0
"""What a consumer does when applying events fails: wait, set the event aside, or stop.

- **transient**: the database or broker is away or busy, or a reaction cannot decide yet
  (:class:`NotYetDecidable`); wait and try the same batch again.
- **poison**: this event's data cannot be applied; set it aside (dead-letter it).
- **halt**: nothing will apply until code or schema change; stop taking batches
  (:class:`ConsumerHalted`) and retry the same one with a long backoff.

Which error is which kind (by SQLSTATE, for the drivers' errors) is decided in
:mod:`downtown_events.runtime.driver_failures`, kept apart so that a service's ``app/``
can raise :class:`NotYetDecidable` without importing psycopg or aiokafka.
"""

from __future__ import annotations

import enum


class Failure(enum.Enum):
    TRANSIENT = "transient"
    POISON = "poison"
    HALT = "halt"


class NotYetDecidable(Exception):
    """A reaction cannot decide on this event yet: something it needs has not arrived (a
    merchant another service's replica has not heard of). The consumer rolls its batch back
    and tries it again after a pause, outside any transaction; the reaction itself says when
    waiting is over (its own deadline) and then decides without it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ConsumerHalted(Exception):
    """Applying cannot succeed until code or schema change; the batch is kept, not skipped."""
