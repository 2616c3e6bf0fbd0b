# SPDX-License-Identifier: AGPL-3.0-or-later
"""Delivery jobs: what a courier must fetch where, and bring to whom, by when.

A job arises from one checkout's confirmed delivery orders. Orders of several shops in one
checkout become one job, so the customer opens the door once and pays one fee: several
pickups (one per shop; two orders of one shop are fetched together), one drop-off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from dispatch.domain.errors import InvalidChange
from downtown_events.delivery.fees import FeeQuote, FeeRule, quote_fee
from downtown_events.delivery.geo import Coordinates

JOB_NAMESPACE = UUID("0d6f3c1e-5b7a-4f43-9a57-6f1c2b8e4d10")
"""A job's id is derived from its checkout's, so that a redelivered event makes the same job."""


@dataclass(frozen=True)
class TimeWindow:
    """From ``starts_at`` to ``ends_at``, aware instants."""

    starts_at: datetime
    ends_at: datetime

    def __post_init__(self) -> None:
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise InvalidChange("a time window's ends are aware moments")
        if self.ends_at <= self.starts_at:
            raise InvalidChange("a time window ends after it starts")


@dataclass(frozen=True)
class ConfirmedOrder:
    """A delivery order as ordering's events tell it, with the shop's place."""

    order_id: UUID
    checkout_id: UUID
    merchant_id: UUID
    shop: Coordinates
    total_cents: int
    load: int = 1
    """Units of the courier's capacity it takes (boxes, crates)."""
    ready_from: datetime | None = None


@dataclass(frozen=True)
class Pickup:
    merchant_id: UUID
    order_ids: tuple[UUID, ...]
    place: Coordinates
    load: int
    ready_from: datetime | None = None


@dataclass(frozen=True)
class DeliveryJob:
    """One drop-off, inside ``window`` (the chosen slot), after all its pickups. ``pinned_to``
    is the courier a dispatcher assigned it to (None: the planner chooses)."""

    job_id: UUID
    checkout_id: UUID
    pickups: tuple[Pickup, ...]
    drop_off: Coordinates
    window: TimeWindow
    fee: FeeQuote
    pinned_to: UUID | None = None

    def __post_init__(self) -> None:
        if not self.pickups:
            raise InvalidChange("a delivery job has at least one pickup")
        if any(pickup.load < 0 for pickup in self.pickups):
            raise InvalidChange("a pickup's load is 0 or more")

    @property
    def load(self) -> int:
        return sum(pickup.load for pickup in self.pickups)


def consolidate(
    orders: Iterable[ConfirmedOrder],
    drop_off: Coordinates,
    window: TimeWindow,
    fee_rule: FeeRule,
) -> DeliveryJob:
    """One job for one checkout's delivery orders, with one fee over the whole basket."""
    orders = tuple(orders)
    if not orders:
        raise InvalidChange("a delivery job needs at least one order")
    checkouts = {order.checkout_id for order in orders}
    if len(checkouts) != 1:
        raise InvalidChange("orders of different checkouts are delivered separately")
    if len({order.order_id for order in orders}) != len(orders):
        raise InvalidChange("an order is named twice")
    if any(isinstance(order.load, bool) or order.load < 0 for order in orders):
        raise InvalidChange("an order's load is a whole number, 0 or more")
    pickups = tuple(_pickup(merchant_id, orders) for merchant_id in dict.fromkeys(o.merchant_id for o in orders))
    (checkout_id,) = checkouts
    fee = quote_fee(fee_rule, (pickup.place for pickup in pickups), drop_off, sum(o.total_cents for o in orders))
    return DeliveryJob(uuid5(JOB_NAMESPACE, str(checkout_id)), checkout_id, pickups, drop_off, window, fee)


def _pickup(merchant_id: UUID, orders: tuple[ConfirmedOrder, ...]) -> Pickup:
    mine = [order for order in orders if order.merchant_id == merchant_id]
    if len({order.shop for order in mine}) != 1:
        raise InvalidChange("one shop's orders name different places")
    ready = [order.ready_from for order in mine if order.ready_from is not None]
    return Pickup(
        merchant_id,
        tuple(order.order_id for order in mine),
        mine[0].shop,
        sum(order.load for order in mine),
        max(ready) if ready else None,
    )
