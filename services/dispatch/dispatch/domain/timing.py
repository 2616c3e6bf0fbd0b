# SPDX-License-Identifier: AGPL-3.0-or-later
"""Time on a tour: travel between places, a round of shops, and the schedule of a route.

The solver chooses the order of stops; when the courier is expected at each is computed
here from that order, the earliest it allows, so the plan's times never depend on which of
several feasible times the solver happened to keep, and a test can recompute them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import timedelta
from itertools import pairwise, permutations
from typing import TYPE_CHECKING
from uuid import UUID

from dispatch.domain.jobs import Pickup
from dispatch.domain.tours import PlanningSettings, StopKind, VehicleKind
from downtown_events.delivery.geo import Coordinates, haversine_m

if TYPE_CHECKING:
    from dispatch.domain.planning import Node, Problem

MAX_ORDERED_SHOPS = 6
"""Up to this many shops in one checkout, every order of visiting them is tried (720); beyond,
the checkout's own order is kept (a basket from seven shops is rare and still planned)."""

Timed = tuple[StopKind, int, UUID | None, Coordinates, int, int]
"""A stop as scheduled: kind, job index, merchant (pickups), place, arrival, load after it."""


def seconds(span: timedelta) -> int:
    """Whole seconds, rounded down: for a latest time, so that a plan is never a fraction late."""
    return math.floor(span.total_seconds())


def seconds_up(span: timedelta) -> int:
    """Whole seconds, rounded up: for an earliest time, so that a plan is never a fraction early."""
    return math.ceil(span.total_seconds())


def travel_s(one: Coordinates, other: Coordinates, kind: VehicleKind, settings: PlanningSettings) -> int:
    """Seconds from door to door: the crow's distance times the detour factor, at the vehicle's
    speed, rounded up (a plan that is early is kept; one that is late is not)."""
    return ride_s(haversine_m(one, other), kind, settings)


def ride_s(crow_m: float, kind: VehicleKind, settings: PlanningSettings) -> int:
    """:func:`travel_s` from a crow's distance already measured."""
    return rides_s([crow_m], kind, settings)[0]


def rides_s(crow_m: Iterable[float], kind: VehicleKind, settings: PlanningSettings) -> list[int]:
    """:func:`ride_s` for many distances at once (the solver's tables): the tables and the
    schedule agree to the second, as both take the same floats through this one sum."""
    metres_per_s = settings.speeds_kmh[kind] / 3.6
    detour = settings.detour_factor
    return [math.ceil(metres * detour / metres_per_s) for metres in crow_m]


def shop_order(shops: Sequence[Pickup], drop_off: Coordinates) -> list[Pickup]:
    """The shops of one job in the order that rides least from the first shop to the customer."""
    if len(shops) > MAX_ORDERED_SHOPS or len(shops) < 2:
        return list(shops)

    def length(order: Iterable[Pickup]) -> float:
        places = [pickup.place for pickup in order] + [drop_off]
        return sum(haversine_m(one, other) for one, other in pairwise(places))

    return list(min(permutations(shops), key=length))


def time_at_stop(node: Node, kind: VehicleKind, settings: PlanningSettings) -> int:
    """From arriving at a stop to leaving it: a hand-over, or a round of shops with the rides between them."""
    if not node.shops:
        return node.service_s
    rides = sum(travel_s(one.place, other.place, kind, settings) for one, other in pairwise(node.shops))
    return node.service_s * len(node.shops) + rides


def schedule(problem: Problem, vehicle: int, order: list[int], settings: PlanningSettings) -> list[Timed]:
    """Every stop of a route (a round of shops unfolded), with its arrival (seconds from the
    origin, the earliest the order allows) and the load after it."""
    v = problem.vehicles[vehicle]
    kind = v.courier.kind
    at, place, load, leaving = v.ready_s, v.courier.position, v.carrying, 0
    out: list[Timed] = []
    for index in order:
        node = problem.nodes[index]
        at = max(at + leaving + travel_s(place, node.place, kind, settings), node.earliest_s)
        if not node.shops:
            load += node.demand
            out.append((node.kind, node.job, None, node.place, at, load))
            place, leaving = node.place, node.service_s
            continue
        for number, shop in enumerate(node.shops):
            if number:
                at += node.service_s + travel_s(node.shops[number - 1].place, shop.place, kind, settings)
            load += shop.load
            out.append(("pickup", node.job, shop.merchant_id, shop.place, at, load))
        place, leaving = node.exit, node.service_s
    return out
