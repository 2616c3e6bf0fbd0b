# SPDX-License-Identifier: AGPL-3.0-or-later
"""A topic read from its beginning to its end as it is now: what a service has published so
far, for tests that check events on the broker."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.runtime.kafka import topic_partitions
from tests.support.local_stack import KAFKA


def read_all(topic: str) -> list[ConsumerRecord]:
    """The topic's records from its beginning up to its end as it is now."""

    async def read() -> list[ConsumerRecord]:
        partitions = [TopicPartition(topic, p) for p in await topic_partitions(KAFKA, topic)]
        if not partitions:
            return []
        consumer = AIOKafkaConsumer(bootstrap_servers=KAFKA, enable_auto_commit=False, group_id=None)
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            records: list[ConsumerRecord] = []
            while [p for p in partitions if await consumer.position(p) < ends[p]]:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(batch)
            return records
        finally:
            await consumer.stop()

    return asyncio.run(read())


def events_on(topic: str) -> list[IntegrationEvent]:
    """The topic's events so far, decoded."""
    return [CloudEvent.from_kafka(r.key, r.value, r.headers).decode() for r in read_all(topic)]
