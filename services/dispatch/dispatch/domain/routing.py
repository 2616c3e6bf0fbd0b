# SPDX-License-Identifier: AGPL-3.0-or-later
"""The routing problem handed to OR-Tools, and its answer read back as a :class:`Plan`.

OR-Tools is a library call (no I/O), so it may stand in the domain; it is imported here only.
Node indices: one start per vehicle (its courier's position), then one shared end that costs
nothing to reach (a tour ends at its last stop), then the problem's nodes in order.
"""

from __future__ import annotations

import time as clock
from datetime import timedelta
from itertools import pairwise
from operator import itemgetter
from typing import Any

from ortools.constraint_solver import pywrapcp as _pywrapcp
from ortools.constraint_solver import routing_enums_pb2
from ortools.util import optional_boolean_pb2

from dispatch.domain.planning import Node, Problem
from dispatch.domain.timing import Timed, rides_s, schedule, time_at_stop
from dispatch.domain.tours import FixedStop, Plan, PlannedStop, PlanningSettings, Route, Unplanned, VehicleKind
from downtown_events.delivery.geo import Coordinates, haversine_m

DROP_PENALTY = 10_000_000
"""Leaving a stop unplanned costs more than any day's metres of tours, so the solver drops only what cannot fit."""
pywrapcp: Any = _pywrapcp
"""OR-Tools' SWIG wrappers ship stubs without annotations; the boundary is typed as Any once, here."""
BOOL_FALSE: Any = optional_boolean_pb2.BOOL_FALSE
CARRIED_PENALTY = 1_000_000_000
"""Goods already on a bike are dropped from the plan only if no tour at all can deliver them."""
NEIGHBOURS_RATIO = 0.3
MIN_NEIGHBOURS = 10
"""The first plan inserts a stop next to its nearest 30 % of the stops, and at least ten: with a
tenth, three of four seeded 300-job days (the bench's town days, other seeds) left one to four
jobs out that no later move took back in within 10 s; with 30 %, at most one (with half, none,
but the first plan takes longer and the 100-job days' tours came out longer)."""
STOPS_PER_SECOND = 100
"""Parallel cheapest insertion makes its first plan of a 300-job day (600 stops) in about 2 s on
a busy two-core machine; it is chosen where the time limit allows a third of that pace."""
GUIDED_SEARCH_LAMBDA = 1.0
MIN_SEARCH_SHARE = 0.1
"""Had the tables taken the whole time limit, the solver still gets this share of it."""


def solve(
    problem: Problem,
    done: tuple[FixedStop, ...],
    unplanned: list[Unplanned],
    settings: PlanningSettings,
    started: float,
) -> Plan:
    """``started`` is when planning began (:func:`time.monotonic`): the solver gets what is left
    of the time limit, so a plan takes about its limit, not the limit plus the tables' time."""
    vehicles, first = problem.vehicles, len(problem.vehicles) + 1
    if not vehicles:
        return _plan(problem, done, [], unplanned, "no courier is on shift")
    manager = pywrapcp.RoutingIndexManager(
        first + len(problem.nodes), len(vehicles), list(range(len(vehicles))), [first - 1] * len(vehicles)
    )
    model = pywrapcp.RoutingModel(manager)
    time, load = _dimensions(model, problem, settings)
    _constrain(model, manager, problem, time, load, first)
    solution = model.SolveWithParameters(_parameters(settings, started, len(problem.nodes)))
    if solution is None:
        return _plan(problem, done, [[] for _ in vehicles], unplanned, "the solver found no plan in time")
    routes = []
    for vehicle in range(len(vehicles)):
        order = []
        index = solution.Value(model.NextVar(model.Start(vehicle)))
        while not model.IsEnd(index):
            order.append(manager.IndexToNode(index) - first)
            index = solution.Value(model.NextVar(index))
        routes.append(schedule(problem, vehicle, order, settings))
    return _plan(problem, done, routes, unplanned, "no courier can fit it into a shift, its slot and a vehicle's load")


def _dimensions(model: Any, problem: Problem, settings: PlanningSettings) -> tuple[Any, Any]:
    """The cost, time and load of every arc, as tables the solver reads without calling back
    into Python (a callback per arc held a 300-job search to its first solution).

    The cost of an arc is the metres ridden, the same on every vehicle: the length of the tours
    is what planning minimises. Seconds (the time at the stop left, then the ride at the
    vehicle's speed; waiting is slack) only bound the search, in the time dimension: as the
    cost, they made a car's kilometre cheaper than a bike's and sent the long rides to the cars.
    """
    vehicles, nodes, end = problem.vehicles, problem.nodes, len(problem.vehicles)
    places: dict[Coordinates, int] = {}
    starts = [places.setdefault(v.courier.position, len(places)) for v in vehicles]
    # the shared end's row and column are placeholders: nothing leaves it, reaching it rides nowhere
    exits = [*starts, 0, *(places.setdefault(node.exit, len(places)) for node in nodes)]
    entries = [*starts, 0, *(places.setdefault(node.place, len(places)) for node in nodes)]
    crow = _crow(list(places))
    rounds = [0] * (end + 1) + [_round_m(node) for node in nodes]
    metres = [[round(m) for m in row] for row in crow]
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(_arcs(metres, rounds, exits, entries, end)))

    def seconds_of(kind: VehicleKind) -> int:
        rides = [rides_s(row, kind, settings) for row in crow]
        staying = [0] * (end + 1) + [time_at_stop(node, kind, settings) for node in nodes]
        return int(model.RegisterTransitMatrix(_arcs(rides, staying, exits, entries, end)))

    matrices = {kind: seconds_of(kind) for kind in {v.courier.kind for v in vehicles}}
    transits = [matrices[v.courier.kind] for v in vehicles]
    horizon = max(v.shift_end_s for v in vehicles)
    model.AddDimensionWithVehicleTransits(transits, horizon, horizon, False, "time")
    demands = model.RegisterUnaryTransitVector([0] * (end + 1) + [node.demand for node in nodes])
    capacities = [max(v.courier.capacity, v.carrying) for v in vehicles]
    model.AddDimensionWithVehicleCapacity(demands, 0, capacities, False, "load")
    return model.GetDimensionOrDie("time"), model.GetDimensionOrDie("load")


def _crow(places: list[Coordinates]) -> list[list[float]]:
    """Metres between every two places as the crow flies, each pair measured once: the
    haversine formula gives the same float both ways (a sine's sign squared away, a product
    of cosines commuted), and on a 300-job day it is most of the tables' time."""
    table = [[0.0] * len(places) for _ in places]
    for index, one in enumerate(places):
        row = table[index]
        for other in range(index + 1, len(places)):
            row[other] = table[other][index] = haversine_m(one, places[other])
    return table


def _round_m(node: Node) -> int:
    """The metres between a round's shops, ridden wherever the round stands in a tour."""
    return round(sum(haversine_m(one.place, other.place) for one, other in pairwise(node.shops)))


def _arcs(
    rides: list[list[int]], leaving: list[int], exits: list[int], entries: list[int], end: int
) -> list[list[int]]:
    """From every index to every other: ``leaving`` the first, then the ride between the places
    (``rides`` by place; ``exits`` and ``entries`` name each index's place); to the shared
    ``end``, only the leaving."""
    gather = itemgetter(*entries)
    table = []
    for index, place in enumerate(exits):
        row = list(map(leaving[index].__add__, gather(rides[place])))
        row[end] = leaving[index]
        table.append(row)
    return table


def _constrain(model: Any, manager: Any, problem: Problem, time: Any, load: Any, first: int) -> None:
    """Shifts, what a vehicle carries at the start, time windows, pins, and each job's pickup
    before its drop-off on one courier (a pair, which the solver's own filters check)."""
    nodes = problem.nodes
    for vehicle, v in enumerate(problem.vehicles):
        time.CumulVar(model.Start(vehicle)).SetRange(v.ready_s, v.shift_end_s)
        time.CumulVar(model.End(vehicle)).SetRange(v.ready_s, v.shift_end_s)
        load.CumulVar(model.Start(vehicle)).SetValue(v.carrying)
    horizon = max(v.shift_end_s for v in problem.vehicles)
    for position, node in enumerate(nodes):
        index = manager.NodeToIndex(first + position)
        if node.earliest_s > min(node.latest_s, horizon):
            model.ActiveVar(index).SetValue(0)  # no shift reaches it; planning names the reason first
        else:
            time.CumulVar(index).SetRange(node.earliest_s, min(node.latest_s, horizon))
        carried = node.kind == "drop_off" and (position == 0 or nodes[position - 1].kind != "pickup")
        model.AddDisjunction([index], CARRIED_PENALTY if carried and node.demand else DROP_PENALTY)
        if node.job in problem.allowed:
            # on one courier or none (SetAllowedVehiclesForIndex's binding refuses every list in 9.15);
            # the solver's vehicle filter reads this domain, so the search never tries another
            model.VehicleVar(index).SetValues([-1, problem.allowed[node.job]])
        if node.kind == "pickup":
            model.AddPickupAndDelivery(index, manager.NodeToIndex(first + position + 1))


def _parameters(settings: PlanningSettings, started: float, stops: int) -> Any:
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    limit = settings.time_limit.total_seconds()
    # Parallel cheapest insertion places, of all the pairs left, the one that costs least where
    # it costs least, looking only near each stop: on the 300-job bench day
    # (bench/dispatch_planning.py) its first plan is 30 % shorter than local cheapest
    # insertion's, which places the pairs one by one in a fixed order, and comes in half the time.
    # It weighs every pair before it places one, though: cut short by the time limit it has placed
    # few (a 300-job day in 2 s: about a third). Where the limit is short for the day, local
    # cheapest insertion, which places a pair at every step, plans the whole day first.
    strategies = routing_enums_pb2.FirstSolutionStrategy
    roomy = stops <= STOPS_PER_SECOND * limit
    parameters.first_solution_strategy = (
        strategies.PARALLEL_CHEAPEST_INSERTION if roomy else strategies.LOCAL_CHEAPEST_INSERTION
    )
    insertion = parameters.global_cheapest_insertion_first_solution_parameters
    insertion.neighbors_ratio, insertion.min_neighbors = NEIGHBOURS_RATIO, MIN_NEIGHBOURS
    insertion.use_neighbors_ratio_for_initialization = True
    # Moving a pair anywhere in any tour (every place for its pickup, then every place after it
    # for its drop-off) is the slowest move there is; the light pair move, which keeps the two
    # stops' order to their neighbours, finds as much: without the full one the 300-job day's
    # descent goes further in its time and its tours end about 5 % shorter (the bench).
    parameters.local_search_operators.use_relocate_pair = BOOL_FALSE
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        if settings.metaheuristic == "guided_local_search"
        else routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    )
    # Guided search penalises the arcs of each local optimum it is stuck in, by this share of an
    # arc's average cost; ten times OR-Tools' default leaves an optimum in fewer moves, which a
    # plan of a second or two needs (bench: 20-job days 1.06 -> 0.94 and 0.97 -> 0.92; larger
    # days unchanged).
    parameters.guided_local_search_lambda_coefficient = GUIDED_SEARCH_LAMBDA
    left = limit - (clock.monotonic() - started)
    parameters.time_limit.FromTimedelta(timedelta(seconds=max(left, limit * MIN_SEARCH_SHARE)))
    return parameters


def _plan(
    problem: Problem,
    done: tuple[FixedStop, ...],
    routes: list[list[Timed]],
    unplanned: list[Unplanned],
    reason: str,
) -> Plan:
    """The routes as stops with times and loads; done stops at their couriers' heads; a job on
    no route is unplanned, with ``reason``."""
    planned_jobs: set[int] = set()
    built = []
    for vehicle, stops in zip(problem.vehicles, routes, strict=True):
        out = []
        for kind, job, merchant_id, place, arrival, load_after in stops:
            planned_jobs.add(job)
            at = problem.origin + timedelta(seconds=arrival)
            out.append(PlannedStop(kind, problem.jobs[job].job_id, place, at, load_after, merchant_id))
        courier_id = vehicle.courier.courier_id
        built.append(Route(courier_id, tuple(s for s in done if s.courier_id == courier_id), tuple(out)))
    on_shift = {route.courier_id for route in built}
    for courier_id in dict.fromkeys(stop.courier_id for stop in done):
        if courier_id not in on_shift:
            built.append(Route(courier_id, tuple(s for s in done if s.courier_id == courier_id), ()))
    missed = [Unplanned(job.job_id, reason) for i, job in enumerate(problem.jobs) if i not in planned_jobs]
    return Plan(tuple(built), tuple(unplanned) + tuple(missed))
