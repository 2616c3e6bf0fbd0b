# SPDX-License-Identifier: Apache-2.0
"""Which kind of failure an error is, for a consumer: transient, poison or halt.

The kinds are declared in :mod:`downtown_events.runtime.failures` (the port a use case
knows); this adapter knows the drivers' exceptions. Decided by what failed, not by the
Python exception class (psycopg files a cancelled query and a program limit under
``OperationalError``, next to a lost connection):

- **transient** — the database or broker is away or busy: connection exceptions (SQLSTATE
  class 08), serialization failures and deadlocks (40), insufficient resources (53), an
  administrator's or crash shutdown (57P01-57P03), a lock not available (55P03), a full
  pool, a Kafka error, a conflict that outlasted a reaction's own retries; and an event a
  reaction cannot decide *yet* (:class:`NotYetDecidable`: news it depends on has not
  arrived). Wait and try the same batch again, however long it takes.
- **poison** — this event's data cannot be applied: data exceptions (22), integrity
  constraint violations (23), program limits (54), a statement cancelled for taking too
  long (57014), and any error that is not the database's (a handler's bug meeting one
  event). Set the event aside (dead-letter it) so the others flow.
- **halt** — nothing will apply until someone changes code or schema: syntax errors and
  access rule violations (42: an undefined column after a projection changed, a missing
  privilege), features not supported (0A), invalid SQL statement names (26), internal
  errors (XX). Dead-lettering would only throw every event away, so the consumer stops
  taking new batches, reports itself unhealthy with the reason, and retries the same batch
  with a long backoff until it applies.
"""

from __future__ import annotations

import psycopg
from aiokafka.errors import KafkaError
from psycopg_pool import PoolTimeout

from downtown_events.runtime.failures import Failure, NotYetDecidable
from downtown_events.runtime.store import ConcurrencyConflict

_TRANSIENT_CLASSES = {"08", "40", "53"}
_TRANSIENT_STATES = {"57P01", "57P02", "57P03", "55P03"}
_HALT_CLASSES = {"42", "0A", "26", "XX", "3D", "3F"}


def classify(error: BaseException) -> Failure:
    if isinstance(error, PoolTimeout | KafkaError | ConcurrencyConflict | NotYetDecidable):
        return Failure.TRANSIENT  # a conflict that outlasted a reaction's own retries: rivals are busy, not wrong
    if isinstance(error, psycopg.Error):
        state = error.sqlstate
        if state is None:  # no answer from the server at all: the connection is gone
            return Failure.TRANSIENT if isinstance(error, psycopg.OperationalError) else Failure.HALT
        if state[:2] in _TRANSIENT_CLASSES or state in _TRANSIENT_STATES:
            return Failure.TRANSIENT
        if state[:2] in _HALT_CLASSES:
            return Failure.HALT
    return Failure.POISON
