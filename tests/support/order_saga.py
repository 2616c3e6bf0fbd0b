# SPDX-License-Identifier: AGPL-3.0-or-later
"""Ordering's topic as the vouchers worker's process manager reads it, driven by a test.

The process manager (built by the vouchers' composition root, inside the runtime's tracking
consumer) is handed ordering's records directly, so a test decides when an order is placed,
redelivered or ended, and sees the effect in the town's real database once ``deliver``
returns. ``order`` is an ``OrderPlaced`` paying ``cents`` of it from a voucher authorisation.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from unittest import mock
from uuid import UUID, uuid4

from aiokafka import AIOKafkaProducer

from downtown_events.contract import IntegrationEvent
from downtown_events.envelope import CloudEvent
from downtown_events.ordering import Fulfilment, OrderLine, OrderPlaced, Payment
from downtown_events.runtime.consumer import TrackingConsumer
from downtown_events.runtime.database import Pool, open_pool
from downtown_events.runtime.kafka import reliable_producer
from downtown_events.runtime.records import KafkaRecord
from downtown_events.topics import dead_letter_topic, events_topic
from tests.support.dead_letters import RecordingDeadLetters
from tests.support.local_stack import RunningTown

offsets = count(1)
"""Offsets of the records handed over, unique across a test session (a redelivery reuses one)."""


@dataclass
class Saga:
    """Ordering's topic as the vouchers worker's process manager reads it."""

    town: str
    consumer: TrackingConsumer
    dead_letters: RecordingDeadLetters

    def record(self, event: IntegrationEvent, version: int) -> KafkaRecord:
        order_id = getattr(event, "order_id")  # noqa: B009 - every order event has one
        envelope = CloudEvent(
            id=str(uuid4()),
            source="/ordering",
            type=event.ce_type(),
            subject=str(order_id),
            time=datetime.now(UTC),
            town=self.town,
            streamversion=version,
            data=event.model_dump_json().encode(),
        )
        key, value, headers = envelope.to_kafka()
        return KafkaRecord(events_topic(self.town, "ordering"), 0, next(offsets), key, value, headers)

    async def deliver(self, records: Sequence[KafkaRecord]) -> None:
        await self.consumer.process(records)


@asynccontextmanager
async def order_saga(town: RunningTown, kafka_bootstrap: str) -> AsyncIterator[Saga]:
    """The vouchers' order-payments process manager of ``town``, on its database."""
    from vouchers.bootstrap import order_payments_of
    from vouchers.settings import VouchersSettings

    vouchers = town["vouchers"]
    with mock.patch.dict(os.environ, vouchers.env):
        settings = VouchersSettings()  # type: ignore[call-arg]
    pool: Pool = await open_pool(settings.database_url, max_size=48, name="test-order-payments")
    producer: AIOKafkaProducer = reliable_producer(kafka_bootstrap, client_id="test-order-payments")
    await producer.start()
    try:
        handler = order_payments_of(pool, settings)
        topic = dead_letter_topic(town.town, "vouchers")
        dead_letters = RecordingDeadLetters(producer, topic, handler.consumer_name, "vouchers")
        consumer = TrackingConsumer(
            pool, handler, dead_letters, town=town.town, service="vouchers", max_backoff_seconds=0.5
        )
        yield Saga(town.town, consumer, dead_letters)
    finally:
        await producer.stop()
        await pool.close()


def order(authorization_id: str, merchant_id: str, cents: int, checkout_id: UUID, total: int = 10_000) -> OrderPlaced:
    now = datetime.now(UTC)
    return OrderPlaced(
        order_id=uuid4(),
        checkout_id=checkout_id,
        merchant_id=UUID(merchant_id),
        lines=[
            OrderLine(
                offer_id=uuid4(),
                kind="product",
                title="Stollen",
                quantity=1,
                unit_price_cents=total,
                vat_rate_percent=7,
            )
        ],
        fulfilment=Fulfilment(method="pickup"),
        payment=Payment(method="at_pickup", voucher_authorization_id=UUID(authorization_id), voucher_cents=cents),
        goods_cents=total,
        total_cents=total,
        merchant_answer_by=now + timedelta(hours=1),
        cancellable_until=now + timedelta(minutes=15),
    )
