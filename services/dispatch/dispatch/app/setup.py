# SPDX-License-Identifier: AGPL-3.0-or-later
"""The town's delivery set-up, the association's use cases: courier services, their couriers
and shifts, the delivery terms, and the token a courier rides with.

Every decision is taken on dispatch's own streams (a courier service's, the town's terms'),
never on a read model: a courier removed a moment ago is removed here at once. The roster
(a read model) only says which service a courier belongs to, for the routes that name a
courier alone (a drop-out, a token).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol
from uuid import UUID

from dispatch.domain import courier_service as services
from dispatch.domain import terms as town_terms
from dispatch.domain.courier_service import CourierOfService, CourierService, Shift
from dispatch.domain.errors import AlreadyExists, NotFound
from downtown_events.contract import IntegrationEvent
from downtown_events.dispatch import CourierAdded, CourierShiftScheduled, DeliveryTermsSet, VehicleKind
from downtown_events.geo import GeoPoint
from downtown_events.runtime.clock import TownClock
from downtown_events.runtime.commands import events_of, execute, load
from downtown_events.runtime.idempotency import (
    create_once,
    created_id,
    ensure_same_request,
    fingerprint,
    fingerprint_metadata,
)
from downtown_events.runtime.principal import Principal, Role
from downtown_events.runtime.store import EventStore

UNKNOWN_COURIER = "no courier of that id (one added a moment ago may take a moment to be known)"


class RosteredCourier(Protocol):
    @property
    def courier_service_id(self) -> UUID: ...


class CourierLookup(Protocol):
    """Which courier service a courier rides for (the roster, a moment behind the streams)."""

    async def courier(self, courier_id: UUID) -> RosteredCourier | None: ...


class TokenMinter(Protocol):
    """Mints this service's signed tokens (the kit's ``IssuingAuthenticator``)."""

    def issue(self, subject: UUID, *, role: Role, lifetime_seconds: int) -> str: ...


@dataclass(frozen=True)
class RegisterCourierService:
    name: str
    phone: str
    idempotency_key: str | None = None


@dataclass(frozen=True)
class AddCourier:
    courier_service_id: UUID
    display_name: str
    vehicle: VehicleKind
    capacity: int
    idempotency_key: str | None = None
    email: str | None = None
    """Where the courier's sign-in links go (kept private); None: they sign in with a handed-over token."""
    added_fields: ClassVar[frozenset[str]] = frozenset({"email"})
    """Left out of the request's fingerprint when unset: a retry across the upgrade is the same request."""


@dataclass(frozen=True)
class ScheduleShift:
    courier_service_id: UUID
    courier_id: UUID
    starts_at: datetime
    ends_at: datetime
    start: GeoPoint
    idempotency_key: str | None = None


@dataclass(frozen=True)
class SetTerms:
    courier_service_id: UUID
    zones: Sequence[Mapping[str, Any]]
    fee: Mapping[str, Any]
    slots: Sequence[Mapping[str, Any]]
    lead_minutes: int
    attempts: int


@dataclass(frozen=True)
class CourierToken:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class SetupHandlers:
    store: EventStore
    couriers: CourierLookup
    tokens: TokenMinter
    town: str
    courier_token_days: int
    clock: TownClock = field(default_factory=TownClock)

    async def register_service(
        self, principal: Principal, command: RegisterCourierService
    ) -> tuple[CourierService, bool]:
        """Returns the service and whether it was registered now (False: a replayed request)."""
        principal.association()
        service_id = created_id("courier-service", command.idempotency_key)
        return await create_once(
            self.store,
            str(service_id),
            services.replay,
            lambda state: services.register(
                state, courier_service_id=service_id, name=command.name, phone=command.phone
            ),
            command=command,
            idempotency_key=command.idempotency_key,
            exists=AlreadyExists,
        )

    async def add_courier(self, principal: Principal, command: AddCourier) -> CourierOfService:
        principal.association()
        courier_id = created_id(f"courier:{command.courier_service_id}", command.idempotency_key)
        service = await self._keyed(
            str(command.courier_service_id),
            command,
            lambda event: isinstance(event, CourierAdded) and event.courier_id == courier_id,
            lambda state: services.add_courier(
                state,
                courier_id=courier_id,
                display_name=command.display_name,
                vehicle=command.vehicle,
                capacity=command.capacity,
                email=command.email,
            ),
        )
        return service.couriers[courier_id]

    async def remove_courier(self, principal: Principal, courier_service_id: UUID, courier_id: UUID) -> None:
        principal.association()
        await execute(
            self.store,
            str(courier_service_id),
            services.replay,
            lambda state: services.remove_courier(state, courier_id=courier_id),
        )

    async def schedule_shift(self, principal: Principal, command: ScheduleShift) -> Shift:
        principal.association()
        shift_id = created_id(f"shift:{command.courier_id}", command.idempotency_key)
        service = await self._keyed(
            str(command.courier_service_id),
            command,
            lambda event: isinstance(event, CourierShiftScheduled) and event.shift_id == shift_id,
            lambda state: services.schedule_shift(
                state,
                shift_id=shift_id,
                courier_id=command.courier_id,
                starts_at=command.starts_at,
                ends_at=command.ends_at,
                start=command.start,
            ),
        )
        return next(shift for shift in service.shifts if shift.shift_id == shift_id)

    async def drop_out(
        self, principal: Principal, courier_id: UUID, at: datetime | None, position: GeoPoint | None
    ) -> datetime:
        """The association, or the courier themself, says the courier stops (now, unless
        ``at`` says when). Returns the moment recorded."""
        if principal.role != "association" and principal.courier() != courier_id:
            raise NotFound(UNKNOWN_COURIER)  # another courier's drop-out is not theirs to tell
        service_id = await self._service_of(courier_id)
        moment = at or self.clock.now()
        await execute(
            self.store,
            str(service_id),
            services.replay,
            lambda state: services.drop_out(
                state, courier_id=courier_id, at=moment, position=position, now=self.clock.now()
            ),
        )
        return moment

    async def courier_token(self, principal: Principal, courier_id: UUID) -> CourierToken:
        """A token for an active courier, lasting ``courier_token_days``."""
        principal.association()
        service = await load(self.store, str(await self._service_of(courier_id)), services.replay)
        if service is None:
            raise NotFound(UNKNOWN_COURIER)
        service.active_courier(courier_id)
        lifetime = timedelta(days=self.courier_token_days)
        token = self.tokens.issue(courier_id, role="courier", lifetime_seconds=int(lifetime.total_seconds()))
        return CourierToken(token, (self.clock.now() + lifetime).replace(microsecond=0))

    async def set_terms(self, principal: Principal, command: SetTerms) -> DeliveryTermsSet:
        """The town's terms, whole; the courier service must be registered (on its stream)."""
        principal.association()
        known = await load(self.store, str(command.courier_service_id), services.replay) is not None
        terms_id = town_terms.terms_id_of(self.town)
        terms = await execute(
            self.store,
            str(terms_id),
            town_terms.replay,
            lambda state: town_terms.set_terms(
                state,
                terms_id=terms_id,
                courier_service_id=command.courier_service_id,
                courier_service_known=known,
                zones=command.zones,
                fee=command.fee,
                slots=command.slots,
                lead_minutes=command.lead_minutes,
                attempts=command.attempts,
            ),
        )
        return terms.current

    async def _service_of(self, courier_id: UUID) -> UUID:
        courier = await self.couriers.courier(courier_id)
        if courier is None:
            raise NotFound(UNKNOWN_COURIER)
        return courier.courier_service_id

    async def _keyed(
        self,
        stream_id: str,
        command: AddCourier | ScheduleShift,
        made_by: Callable[[IntegrationEvent], bool],
        decide: Callable[[CourierService | None], Sequence[IntegrationEvent]],
    ) -> CourierService:
        """Add to a courier service what a keyed request asks for, once: the id came from the
        Idempotency-Key, so a retry finds the event ``made_by`` it on the stream and gets the
        service back, unless its content differs (the key reused: refused). The request's
        fingerprint is stored with the event, as the kit's ``create_once`` does for a stream."""
        request = fingerprint(command)
        history = await self.store.read(stream_id)
        if command.idempotency_key is not None:
            made = [stored for stored in history if made_by(stored.event)]
            if made:
                ensure_same_request(made, request)
                service = services.replay(events_of(history))
                if service is not None:
                    return service
        return await execute(
            self.store,
            stream_id,
            services.replay,
            decide,
            metadata=fingerprint_metadata(request),
            history=history,
        )
