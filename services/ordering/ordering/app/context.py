# SPDX-License-Identifier: AGPL-3.0-or-later
"""What every ordering use case works with: the store, the town's rules, the clock, the keys."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from downtown_events.runtime.commands import load
from downtown_events.runtime.store import EventStore
from ordering.domain import basket as baskets
from ordering.domain import order as orders
from ordering.domain.basket import Basket
from ordering.domain.facts import TownSettings
from ordering.domain.order import Order


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    store: EventStore
    town: TownSettings
    link_key: bytes
    """Signs a guest's order link (so the link needs no storing and an e-mail can carry it)."""
    clock: Callable[[], datetime] = _utc_now
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Berlin"))

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().astimezone(self.timezone).date()

    def guest_token(self, checkout_id: UUID) -> str:
        """The token of a guest's order link: a keyed hash of the checkout, never stored."""
        return hmac.new(self.link_key, f"order-link:{checkout_id}".encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def order_of(store: EventStore, order_id: UUID) -> Order | None:
    return await load(store, str(order_id), orders.replay)


async def basket_of(store: EventStore, basket_id: UUID) -> Basket | None:
    return await load(store, str(basket_id), baskets.replay)
