# SPDX-License-Identifier: AGPL-3.0-or-later
"""Delivery jobs from ordering's news: the process manager ``delivery_jobs``.

Ordering asks for a delivery with ``OrderDeliveryRequested`` (the drop-off sealed for
dispatch); an order that ends before its goods were fetched (``OrderCancelled``,
``OrderRejected``) leaves its job. Every answer is an event on the checkout's job stream:
the order taken into the job, or :class:`~downtown_events.dispatch.DeliveryJobRefused`
with the reason, which ordering's saga turns into the order's end. A request the consumer
cannot read (a broken seal) is refused, never a stopped consumer; a shop this service has
not heard of yet makes the consumer wait (its registration is on its way from the catalog).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Protocol
from uuid import UUID

from dispatch.domain import delivery
from dispatch.domain.delivery import JobStream, RefusalReason, RequestedPickup
from downtown_events.contract import IntegrationEvent
from downtown_events.delivery.slots import DeliverySlot, next_free_slot
from downtown_events.delivery.terms import offered_slots, zone_for
from downtown_events.dispatch import ArrivalWindow, DeliveryTermsSet, SlotKind
from downtown_events.geo import GeoPoint
from downtown_events.ordering import DeliveryDropOff, OrderCancelled, OrderDeliveryRequested, OrderRejected
from downtown_events.runtime.commands import events_of, execute
from downtown_events.runtime.failures import NotYetDecidable
from downtown_events.runtime.process_manager import ProcessManager
from downtown_events.runtime.records import ReceivedEvent
from downtown_events.runtime.store import EventStore

SERVICE = "dispatch"
SLOT_HORIZON_DAYS = 14
"""How far ahead a request without a slot (or with one no longer offered) looks for a free one."""
UNDER_WAY = "this checkout's delivery is already under way; the order cannot join it"


@dataclass(frozen=True)
class Shop:
    """A merchant as this service knows it (the catalog's replica): ``location`` None when the
    shop has not put its door on the map."""

    name: str
    location: GeoPoint | None


class DeliveryPorts(Protocol):
    """What the reaction reads besides its own streams (the adapters: the hand-off key, the
    replicas of the terms and the catalog's merchants, the board's bookings)."""

    def open_drop_off(self, order_id: UUID, sealed: str) -> DeliveryDropOff | None:
        """The drop-off ordering sealed for this order (None: it does not open)."""
        ...

    async def terms(self) -> DeliveryTermsSet | None: ...

    async def shop(self, merchant_id: UUID) -> Shop | None:
        """None: the catalog's registration of the merchant has not reached this service."""
        ...

    async def booked(self, slots: Sequence[DeliverySlot]) -> dict[str, int]:
        """Jobs per slot id, for the slots given."""
        ...


class Refusal(Exception):
    def __init__(self, reason: RefusalReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Placing:
    """Where the job goes in the terms: its zone and slot."""

    zone_id: UUID
    slot: ArrivalWindow
    slot_kind: SlotKind


class DeliveryJobs:
    """The use cases of ordering's requests; ``timezone`` is the town's (its slots' clock)."""

    def __init__(self, ports: DeliveryPorts, timezone: tzinfo) -> None:
        self._ports = ports
        self._timezone = timezone

    async def on_delivery_requested(self, store: EventStore, request: OrderDeliveryRequested, at: datetime) -> None:
        job_id = delivery.job_id_of(request.checkout_id)
        history = await store.read(str(job_id))
        if delivery.read_stream(events_of(history)).knows(request.order_id):
            return  # redelivered: decided already
        try:
            pickup, placing = await self._checked(request, at)
        except Refusal as refusal:
            await self._refuse(store, request, refusal)
            return

        def add(stream: JobStream | None) -> list[IntegrationEvent]:
            assert stream is not None
            job = stream.job
            if job is not None and not stream.knows(request.order_id) and (job.finished or job.begun):
                return _refusal(stream, request, Refusal("no_slot", UNDER_WAY))
            return delivery.add_pickup(
                stream, pickup, zone_id=placing.zone_id, slot=placing.slot, slot_kind=placing.slot_kind
            )

        after = await execute(store, str(job_id), delivery.read_stream, add)
        if request.order_id in after.refused:
            return
        order_stream = delivery.order_stream_of(request.order_id)
        await execute(
            store,
            order_stream,
            delivery.filed_job,
            lambda filed: delivery.file_order(filed, order_id=request.order_id, job_id=job_id),
        )

    async def _refuse(self, store: EventStore, request: OrderDeliveryRequested, refusal: Refusal) -> None:
        job_id = str(delivery.job_id_of(request.checkout_id))

        def refuse(stream: JobStream | None) -> list[IntegrationEvent]:
            assert stream is not None
            return _refusal(stream, request, refusal)

        await execute(store, job_id, delivery.read_stream, refuse)

    async def on_order_ended(self, store: EventStore, order_id: UUID) -> None:
        """The order will not be delivered: its job stops waiting for it (once its goods are
        with a courier, the job ends by delivery or return instead)."""
        job_id = delivery.filed_job(events_of(await store.read(delivery.order_stream_of(order_id))))
        if job_id is None:
            return  # never asked to deliver (or refused): nothing to withdraw
        history = await store.read(str(job_id))
        if delivery.replay(events_of(history)) is None:
            return
        await execute(
            store, str(job_id), delivery.replay, lambda job: delivery.withdraw(job, order_id), history=history
        )

    async def _checked(self, request: OrderDeliveryRequested, at: datetime) -> tuple[RequestedPickup, Placing]:
        """The request's pickup and its place in the town's terms, or the refusal."""
        drop_off = self._ports.open_drop_off(request.order_id, request.sealed_drop_off)
        if drop_off is None:
            raise Refusal("unreadable_address", "the drop-off does not open with this town's hand-off key")
        shop = await self._ports.shop(request.merchant_id)
        if shop is None:
            raise NotYetDecidable(f"merchant {request.merchant_id} has not reached dispatch's replica yet")
        if shop.location is None:
            raise Refusal("unreadable_address", f"the shop {shop.name} has no location on the map to pick up from")
        terms = await self._ports.terms()
        if terms is None:
            raise Refusal("no_terms", "the town has set no delivery terms")
        zone = zone_for(terms, drop_off.pin, drop_off.postal_code)
        if zone is None:
            raise Refusal("outside_zone", f"{drop_off.postal_code} {drop_off.city} lies outside every delivery zone")
        slot = await self._slot(terms, request, at)
        pickup = RequestedPickup(
            order_id=request.order_id,
            checkout_id=request.checkout_id,
            merchant_id=request.merchant_id,
            shop=shop.location,
            parcels=request.parcels,
            fee_cents=request.fee_cents,
            courier_orders=request.courier_orders,
            drop_off=drop_off,
        )
        window = ArrivalWindow(starts_at=slot.starts_at, ends_at=slot.ends_at)
        return pickup, Placing(zone.zone_id, window, slot.kind)

    async def _slot(self, terms: DeliveryTermsSet, request: OrderDeliveryRequested, at: datetime) -> DeliverySlot:
        """The slot the customer chose if the terms offer it; else the next with room."""
        first = at.astimezone(self._timezone).date()
        offered = offered_slots(terms, first, first + timedelta(days=SLOT_HORIZON_DAYS), self._timezone)
        chosen = request.slot
        if chosen is not None:
            for slot in offered:
                same_time = slot.starts_at == chosen.starts_at and slot.ends_at == chosen.ends_at
                if same_time and slot.kind == request.slot_kind:  # a town round may share a standard slot's times
                    return slot
        free = next_free_slot(
            offered, at, await self._ports.booked(offered), lead_time=timedelta(minutes=terms.lead_minutes)
        )
        if free is None:
            raise Refusal("no_slot", f"no delivery slot with room in the next {SLOT_HORIZON_DAYS} days")
        return free


def _refusal(stream: JobStream, request: OrderDeliveryRequested, refusal: Refusal) -> list[IntegrationEvent]:
    return delivery.refuse(
        stream,
        job_id=delivery.job_id_of(request.checkout_id),
        order_id=request.order_id,
        merchant_id=request.merchant_id,
        reason=refusal.reason,
        detail=refusal.detail,
    )


REACTS_TO = (OrderDeliveryRequested, OrderCancelled, OrderRejected)


def delivery_jobs(jobs: DeliveryJobs) -> ProcessManager:
    async def react(received: ReceivedEvent, store: EventStore) -> None:
        event = received.event
        if isinstance(event, OrderDeliveryRequested):
            await jobs.on_delivery_requested(store, event, received.envelope.time)
        elif isinstance(event, OrderCancelled | OrderRejected):
            await jobs.on_order_ended(store, event.order_id)

    return ProcessManager("delivery_jobs", service=SERVICE, reacts_to=REACTS_TO, react=react)
