# SPDX-License-Identifier: AGPL-3.0-or-later
"""A worker's dead-letter topic for tests that feed a consumer by hand: it still sends there,
and remembers why (nothing, if all is well)."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer

from downtown_events.runtime.consumer import KafkaDeadLetters
from downtown_events.runtime.records import KafkaRecord


class RecordingDeadLetters(KafkaDeadLetters):
    def __init__(self, producer: AIOKafkaProducer, topic: str, consumer_name: str, service: str) -> None:
        super().__init__(producer, topic, consumer_name, service)
        self.sent: list[str] = []

    async def send(self, record: KafkaRecord, reason: str) -> None:
        self.sent.append(reason)
        await super().send(record, reason)
