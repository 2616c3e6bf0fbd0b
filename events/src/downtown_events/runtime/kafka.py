# SPDX-License-Identifier: Apache-2.0
"""Kafka plumbing shared by every process: a safe producer and the town's topics.

aiokafka's producer defaults are unsafe for an event log (acks=1, not idempotent), so
every producer in Downtown comes from :func:`reliable_producer`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from downtown_events.topics import dead_letter_topic, events_topic

log = logging.getLogger(__name__)

UNLIMITED_RETENTION = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}


def reliable_producer(bootstrap: str, *, client_id: str) -> AIOKafkaProducer:
    """Idempotent, acks=all: a retried send never duplicates or reorders within a partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        max_batch_size=256 * 1024,
        request_timeout_ms=30_000,
    )


async def ensure_topics(
    bootstrap: str,
    town: str,
    service: str,
    *,
    partitions: int,
    replication: int = 1,
    extra: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """Create ``<town>.<service>.events`` and ``.dlq`` if missing (unlimited retention), and
    the ``extra`` topics the worker needs (faust tables' changelogs) with their configs."""
    configs = {events_topic(town, service): UNLIMITED_RETENTION, dead_letter_topic(town, service): UNLIMITED_RETENTION}
    configs.update({name: dict(config) for name, config in (extra or {}).items()})
    names = list(configs)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id=f"{town}-{service}-admin")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(name, partitions, replication, topic_configs=dict(configs[name])) for name in missing]
                )
            except TopicAlreadyExistsError:
                log.info("topics created concurrently by another process: %s", missing)
        return missing
    finally:
        await admin.close()


async def topic_partitions(bootstrap: str, topic: str) -> list[int]:
    """The partition numbers of ``topic``; empty if it does not exist.

    A consumer without a subscription has no metadata for a topic it only ``assign``s,
    so readers that start from offset zero ask here first.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="downtown-metadata")
    await admin.start()
    try:
        (description,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(partition["partition"] for partition in description.get("partitions", []))
