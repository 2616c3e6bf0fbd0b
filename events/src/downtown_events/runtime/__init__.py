# SPDX-License-Identifier: Apache-2.0
"""The event-sourcing runtime every Downtown service uses, written once.

- :mod:`.store`: append to and read streams in PostgreSQL, with optimistic concurrency,
  and the transactional outbox row in the same statement.
- :mod:`.outbox`: the relay that publishes the outbox to Kafka.
- :mod:`.consumer` and :mod:`.faust_worker`: idempotent consumers with dead-lettering.
- :mod:`.projection` and :mod:`.rebuild`: read models folded from the log, rebuildable.
- :mod:`.telemetry`, :mod:`.health`, :mod:`.settings`, :mod:`.database`: the plumbing.
"""
