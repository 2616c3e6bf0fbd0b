# SPDX-License-Identifier: AGPL-3.0-or-later
"""The set-up use cases on the in-memory store: who may do what, and what a token needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from dispatch.app.setup import AddCourier, RegisterCourierService, ScheduleShift, SetTerms, SetupHandlers
from dispatch.domain.errors import InvalidChange, NotFound
from downtown_events.geo import GeoPoint
from downtown_events.runtime.clock import TownClock
from downtown_events.runtime.memory_store import InMemoryEventStore
from downtown_events.runtime.principal import NotPermitted, Principal, Role

NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)
ASSOCIATION = Principal(role="association")


@dataclass(frozen=True)
class Rostered:
    courier_service_id: UUID


class Roster:
    """The roster as the handlers see it: a courier's service, once heard of."""

    def __init__(self) -> None:
        self.known: dict[UUID, Rostered] = {}

    async def courier(self, courier_id: UUID) -> Rostered | None:
        return self.known.get(courier_id)


class Minter:
    def issue(self, subject: UUID, *, role: Role, lifetime_seconds: int) -> str:
        return f"{role}:{subject}:{lifetime_seconds}"


async def town_with_anna() -> tuple[SetupHandlers, UUID, UUID]:
    roster = Roster()
    handlers = SetupHandlers(InMemoryEventStore(), roster, Minter(), "duelmen", 30, TownClock(clock=lambda: NOW))
    service, _ = await handlers.register_service(ASSOCIATION, RegisterCourierService("Radkurier", ""))
    anna = await handlers.add_courier(
        ASSOCIATION, AddCourier(service.courier_service_id, "Anna", "bike", 6, idempotency_key=None)
    )
    roster.known[anna.courier_id] = Rostered(service.courier_service_id)
    depot = GeoPoint(lat=51.84, lon=7.27)
    hours = (NOW - timedelta(hours=1), NOW + timedelta(hours=5))
    shift = ScheduleShift(service.courier_service_id, anna.courier_id, *hours, depot)
    await handlers.schedule_shift(ASSOCIATION, shift)
    return handlers, service.courier_service_id, anna.courier_id


async def test_a_token_is_minted_for_an_active_courier_only() -> None:
    handlers, service_id, anna = await town_with_anna()
    token = await handlers.courier_token(ASSOCIATION, anna)
    assert token.token == f"courier:{anna}:{30 * 24 * 3600}" and token.expires_at == NOW + timedelta(days=30)
    with pytest.raises(NotPermitted):
        await handlers.courier_token(Principal(role="courier", subject=anna), anna)
    with pytest.raises(NotFound):
        await handlers.courier_token(ASSOCIATION, uuid4())
    await handlers.remove_courier(ASSOCIATION, service_id, anna)
    with pytest.raises(InvalidChange, match="removed"):
        await handlers.courier_token(ASSOCIATION, anna)


async def test_a_courier_tells_their_own_drop_out_and_no_one_elses() -> None:
    handlers, _, anna = await town_with_anna()
    with pytest.raises(NotFound):
        await handlers.drop_out(Principal(role="courier", subject=uuid4()), anna, None, None)
    with pytest.raises(NotPermitted):
        await handlers.drop_out(Principal(role="merchant", subject=uuid4()), anna, None, None)
    assert await handlers.drop_out(Principal(role="courier", subject=anna), anna, None, None) == NOW


async def test_only_the_association_sets_up_and_terms_need_a_registered_service() -> None:
    handlers, service_id, _ = await town_with_anna()
    with pytest.raises(NotPermitted):
        await handlers.register_service(Principal(role="merchant", subject=uuid4()), RegisterCourierService("X", ""))
    terms = SetTerms(
        uuid4(),
        [{"name": "Dorf", "postal_codes": ["48249"]}],
        {"pricing": "free"},
        [{"weekday": 0, "starts": "09:00", "ends": "12:00", "capacity": 5}],
        60,
        2,
    )
    with pytest.raises(NotFound, match="courier_service_id"):
        await handlers.set_terms(ASSOCIATION, terms)
    published = await handlers.set_terms(ASSOCIATION, SetTerms(service_id, *list(vars(terms).values())[1:]))
    assert published.courier_service_id == service_id and published.zones[0].name == "Dorf"
