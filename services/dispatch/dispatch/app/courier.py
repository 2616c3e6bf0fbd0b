# SPDX-License-Identifier: AGPL-3.0-or-later
"""What a courier does on the road: scan an order's slip at its shop, hand the goods over at
the door (with the recipient's name and, if taken, a photo), report an attempt that failed,
bring the goods of a delivery that will not happen back to their shops.

The job's stream (:mod:`dispatch.domain.delivery`) judges every step, so a courier who is
not the job's learns nothing of it (404) and a step repeated after a lost answer decides
nothing. Each refusal is decided before anything is written: the photo is cleaned only
once the job is known to be the courier's and ready to be delivered, and it is kept in the
same transaction as the events that name it (:class:`ProofPhotos`), so a refused or lost
delivery leaves no photo behind and a delivery never names a photo that is not kept.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from dispatch.domain import delivery
from dispatch.domain.delivery import Delivery
from dispatch.domain.errors import NotFound
from dispatch.domain.private_events import DeliveryProofRecorded
from downtown_events.contract import IntegrationEvent
from downtown_events.delivery.fees import FeeQuote
from downtown_events.delivery.slots import DeliverySlot
from downtown_events.delivery.terms import delivery_fee, fee_rule_of, offered_slots
from downtown_events.dispatch import DeliveryTermsSet, FailureReason
from downtown_events.refusals import InvalidChange
from downtown_events.runtime.clock import TownClock
from downtown_events.runtime.commands import events_of, execute
from downtown_events.runtime.store import EventStore

DEFAULT_ATTEMPTS: int = DeliveryTermsSet.model_fields["attempts"].default
"""Attempts at the door while the town has published no terms (the terms' own default)."""


@dataclass(frozen=True)
class CleanProof:
    """A proof photo as kept: one JPEG stripped of its metadata, named by its SHA-256."""

    sha256: str
    jpeg: bytes


class ProofRecording(ABC):
    """One transaction: the delivery's events (through :attr:`store`) and its photo commit together."""

    store: EventStore

    @abstractmethod
    async def keep(self, job_id: UUID, photo: CleanProof, taken_at: datetime) -> None: ...


class ProofPhotos(ABC):
    """Where proof photos are cleaned and kept (an adapter: image work and a table)."""

    @abstractmethod
    async def clean(self, upload: bytes) -> CleanProof:
        """The upload decoded and re-encoded without metadata; raises the kit's
        ``PhotoRejected`` (4xx) for what is no photo or too large, ``PhotoBusy`` (503)."""

    @abstractmethod
    def recording(self) -> AbstractAsyncContextManager[ProofRecording]: ...

    @abstractmethod
    async def photo(self, sha256: str) -> bytes | None:
        """The kept photo of that digest (None: none kept)."""


class CourierReads(ABC):
    """What the courier's use cases read besides the job's stream: the order-to-job read
    model and the town's terms as last published."""

    @abstractmethod
    async def job_of_order(self, order_id: UUID) -> UUID | None: ...

    @abstractmethod
    async def terms(self) -> DeliveryTermsSet | None: ...


@dataclass(frozen=True)
class Delivered:
    recipient_name: str
    photo: bytes | None = None


class CourierHandlers:
    """The courier's use cases on the job streams; ``clock`` gives the moment and the town's zone."""

    def __init__(self, store: EventStore, reads: CourierReads, proofs: ProofPhotos, clock: TownClock) -> None:
        self._store = store
        self._reads = reads
        self._proofs = proofs
        self._clock = clock

    async def pick_up(self, courier_id: UUID, code: UUID) -> Delivery:
        """The courier scanned an order's slip (its code is the order id) at the shop."""
        job_id = await self._reads.job_of_order(code)
        if job_id is None:
            raise NotFound("no order of that code is waiting for a courier here")
        at = self._clock.now()
        return await execute(
            self._store,
            str(job_id),
            delivery.replay,
            lambda job: delivery.pick_up(job, order_id=code, courier_id=courier_id, at=at),
        )

    async def deliver(self, courier_id: UUID, job_id: UUID, handed_over: Delivered) -> Delivery:
        """Handed over at the door. Refusals (not the courier's job, delivered already, goods
        still at a shop) come before the photo is cleaned; a rival request that delivered
        meanwhile makes this one decide again and be refused (409), writing nothing."""
        history = await self._store.read(str(job_id))
        terms = await self._reads.terms()
        at = self._clock.now()

        def decide(job: Delivery | None, photo_sha256: str | None) -> Sequence[IntegrationEvent]:
            return delivery.deliver(
                job,
                courier_id=courier_id,
                at=at,
                recipient_name=handed_over.recipient_name,
                photo_sha256=photo_sha256,
                town_cents=town_cents(terms, job, self._clock) if job is not None else 0,
            )

        decide(delivery.replay(events_of(history)), None)  # refused here: nothing cleaned, nothing written
        photo = None if handed_over.photo is None else await self._proofs.clean(handed_over.photo)
        sha256 = None if photo is None else photo.sha256
        async with self._proofs.recording() as recording:
            job = await execute(recording.store, str(job_id), delivery.replay, lambda job: decide(job, sha256))
            if photo is not None:
                await recording.keep(job_id, photo, at)
        return job

    async def fail_attempt(self, courier_id: UUID, job_id: UUID, reason: FailureReason) -> Delivery:
        """Nobody took the goods; what follows (another attempt, or back to the shops) is by
        the town's terms."""
        terms = await self._reads.terms()
        attempts = DEFAULT_ATTEMPTS if terms is None else terms.attempts
        at = self._clock.now()
        return await execute(
            self._store,
            str(job_id),
            delivery.replay,
            lambda job: delivery.fail_attempt(
                job, courier_id=courier_id, reason=reason, at=at, attempts_allowed=attempts
            ),
        )

    async def return_to_shops(self, job_id: UUID, courier_id: UUID | None) -> Delivery:
        """The goods are back at their shops: told by the job's courier, or by the
        association (``courier_id`` None) when the courier cannot."""
        at = self._clock.now()

        def decide(job: Delivery | None) -> Sequence[IntegrationEvent]:
            if courier_id is not None and (job is None or job.courier_id != courier_id):
                raise NotFound("no such delivery on your tour")
            return delivery.return_to_shops(job, at=at)

        return await execute(self._store, str(job_id), delivery.replay, decide)

    async def proof_photo(self, job_id: UUID) -> bytes:
        """The proof photo of a delivery (for the association), as its proof names it."""
        proofs = [e for e in events_of(await self._store.read(str(job_id))) if isinstance(e, DeliveryProofRecorded)]
        sha256 = proofs[-1].photo_sha256 if proofs else None
        photo = None if sha256 is None else await self._proofs.photo(sha256)
        if photo is None:
            raise NotFound("no proof photo was taken of this delivery")
        return photo


def town_cents(terms: DeliveryTermsSet | None, job: Delivery, clock: TownClock) -> int:
    """What the town owes the courier service for this delivery, by the terms now: the
    town's part of the fee (all of it where the town pays), and the customer's part the
    customer did not pay because the basket was above the free-delivery value. Nothing
    without terms, or where the fee cannot be told (by distance, with no pin at the door:
    ordering would not have offered it)."""
    if terms is None:
        return 0
    slot = _slot_of(terms, job, clock)
    door = None if job.drop_off is None else job.drop_off.pin
    try:
        quote: FeeQuote = delivery_fee(terms, slot, [pickup.shop for pickup in job.open_pickups], door, 0)
    except InvalidChange:
        return 0
    rule = slot.fee_rule if slot is not None and slot.fee_rule is not None else fee_rule_of(terms.fee)
    waived = 0 if rule.free_above_cents is None else max(0, quote.customer_cents - job.fee_cents)
    return quote.town_cents + waived


def _slot_of(terms: DeliveryTermsSet, job: Delivery, clock: TownClock) -> DeliverySlot | None:
    """The terms' slot the job was booked in (a town round may have its own fee rule)."""
    day = job.slot.starts_at.astimezone(clock.timezone).date()
    for slot in offered_slots(terms, day - timedelta(days=1), day + timedelta(days=1), clock.timezone):
        if slot.starts_at == job.slot.starts_at and slot.kind == job.slot_kind:
            return slot
    return None
