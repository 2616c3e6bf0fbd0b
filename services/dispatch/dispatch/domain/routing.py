# SPDX-License-Identifier: AGPL-3.0-or-later
"""The routing problem handed to OR-Tools, and its answer read back as a :class:`Plan`.

OR-Tools is a library call (no I/O), so it may stand in the domain; it is imported here only.
Node indices: one start per vehicle (its courier's position), then one shared end that costs
nothing to reach (a tour ends at its last stop), then the problem's nodes in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ortools.constraint_solver import pywrapcp as _pywrapcp
from ortools.constraint_solver import routing_enums_pb2

from dispatch.domain.planning import Problem
from dispatch.domain.timing import Timed, schedule, time_at_stop, travel_s
from dispatch.domain.tours import FixedStop, Plan, PlannedStop, PlanningSettings, Route, Unplanned, VehicleKind

DROP_PENALTY = 10_000_000
"""Leaving a stop unplanned costs more than any tour's seconds, so the solver drops only what cannot fit."""
pywrapcp: Any = _pywrapcp
"""OR-Tools' SWIG wrappers ship stubs without annotations; the boundary is typed as Any once, here."""
CARRIED_PENALTY = 1_000_000_000
"""Goods already on a bike are dropped from the plan only if no tour at all can deliver them."""


def solve(
    problem: Problem, done: tuple[FixedStop, ...], unplanned: list[Unplanned], settings: PlanningSettings
) -> Plan:
    vehicles, first = problem.vehicles, len(problem.vehicles) + 1
    if not vehicles:
        return _plan(problem, done, [], unplanned, "no courier is on shift")
    manager = pywrapcp.RoutingIndexManager(
        first + len(problem.nodes), len(vehicles), list(range(len(vehicles))), [first - 1] * len(vehicles)
    )
    model = pywrapcp.RoutingModel(manager)
    time, load = _dimensions(model, manager, problem, settings)
    _constrain(model, manager, problem, time, load, first)
    solution = model.SolveWithParameters(_parameters(settings))
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


def _dimensions(model: Any, manager: Any, problem: Problem, settings: PlanningSettings) -> tuple[Any, Any]:
    """Time (seconds: the time at the stop left, then the ride at the vehicle's speed; waiting
    is slack) and load (units on board). Rides are tabled once per vehicle kind."""
    vehicles, nodes, first = problem.vehicles, problem.nodes, len(problem.vehicles) + 1
    exits = [v.courier.position for v in vehicles] + [n.exit for n in nodes]
    entries = [v.courier.position for v in vehicles] + [n.place for n in nodes]
    node_of: Callable[[int], int] = manager.IndexToNode

    def transit_for(kind: VehicleKind) -> int:
        rides = [[travel_s(a, b, kind, settings) for b in entries] for a in exits]
        staying = [0] * len(vehicles) + [time_at_stop(node, kind, settings) for node in nodes]

        def transit(from_index: int, to_index: int) -> int:
            a, b = node_of(from_index), node_of(to_index)
            if a == first - 1:
                return 0
            a -= a >= first  # the tables skip the shared end
            if b == first - 1:
                return staying[a]  # the last stop's hand-over ends inside the shift
            return staying[a] + rides[a][b - (b >= first)]

        return int(model.RegisterTransitCallback(transit))

    callbacks = {kind: transit_for(kind) for kind in {v.courier.kind for v in vehicles}}
    transits = [callbacks[v.courier.kind] for v in vehicles]
    for vehicle, callback in enumerate(transits):
        model.SetArcCostEvaluatorOfVehicle(callback, vehicle)
    horizon = max(v.shift_end_s for v in vehicles)
    model.AddDimensionWithVehicleTransits(transits, horizon, horizon, False, "time")

    def demand(from_index: int) -> int:
        node = node_of(from_index)
        return nodes[node - first].demand if node >= first else 0

    capacities = [max(v.courier.capacity, v.carrying) for v in vehicles]
    model.AddDimensionWithVehicleCapacity(model.RegisterUnaryTransitCallback(demand), 0, capacities, False, "load")
    return model.GetDimensionOrDie("time"), model.GetDimensionOrDie("load")


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


def _parameters(settings: PlanningSettings) -> Any:
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    # Local cheapest insertion places each pair where it costs least: on a 300-job day it planned
    # 256 jobs in 2 s where parallel cheapest insertion planned 22 (bench/dispatch_planning.py).
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
        if settings.metaheuristic == "guided_local_search"
        else routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    )
    parameters.time_limit.FromTimedelta(settings.time_limit)
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
