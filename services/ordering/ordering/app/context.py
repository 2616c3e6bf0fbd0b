# SPDX-License-Identifier: AGPL-3.0-or-later
"""What every ordering use case works with: the store, the town's rules, the keys, and the
kit's town clock (``now``, and ``today`` in the town's zone)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from downtown_events.runtime.clock import TownClock
from downtown_events.runtime.commands import load
from downtown_events.runtime.store import EventStore
from ordering.domain import basket as baskets
from ordering.domain import order as orders
from ordering.domain.basket import Basket
from ordering.domain.facts import TownSettings
from ordering.domain.order import Order


@dataclass(frozen=True)
class Context(TownClock):
    store: EventStore
    town: TownSettings
    link_key: bytes
    """Signs a guest's order link (so the link needs no storing and an e-mail can carry it)."""

    def guest_token(self, checkout_id: UUID) -> str:
        """The token of a guest's order link: a keyed hash of the checkout, never stored."""
        return hmac.new(self.link_key, f"order-link:{checkout_id}".encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def order_of(store: EventStore, order_id: UUID) -> Order | None:
    return await load(store, str(order_id), orders.replay)


async def basket_of(store: EventStore, basket_id: UUID) -> Basket | None:
    return await load(store, str(basket_id), baskets.replay)
