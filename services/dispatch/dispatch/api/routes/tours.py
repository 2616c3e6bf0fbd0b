# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier's tour of today: the stops in order, when they are expected at each, what they
carry after it; at a shop its name and address, at a door who receives the goods and where.
Beside it the goods to bring back: the courier's jobs whose last attempt failed, with their
shops, until the courier (or the association) says they are back (``POST /jobs/{id}/return``).
A courier sees only their own tour, the doors of their own jobs and their own returns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel

from dispatch.api.deps import Container, CurrentCourier, ReadDb
from dispatch.api.routes.board import BOARD
from dispatch.app.planning import tour_id_of
from dispatch.domain.delivery import Delivery
from downtown_events.ordering import DeliveryDropOff
from downtown_events.runtime.merchant_replica import ReplicatedMerchant

router = APIRouter(tags=["tours"])


class ShopOut(BaseModel):
    name: str
    street: str
    postal_code: str
    city: str
    phone: str
    lat: float | None
    lon: float | None


class DoorOut(BaseModel):
    name: str
    phone: str
    street: str
    postal_code: str
    city: str
    note: str
    lat: float | None
    lon: float | None


class CourierStopOut(BaseModel):
    kind: Literal["pickup", "drop_off"]
    job_id: UUID
    arrives_at: datetime
    load_after: int
    merchant_id: UUID | None = None
    shop: ShopOut | None = None
    door: DoorOut | None = None


class ReturnShopOut(BaseModel):
    merchant_id: UUID
    parcels: int
    shop: ShopOut | None
    """None: the shop is not (yet) known to dispatch's replica of the catalog."""


class ReturnOut(BaseModel):
    """A job whose last attempt failed: its goods go back to these shops."""

    job_id: UUID
    attempts: int
    shops: list[ReturnShopOut]


class CourierTourOut(BaseModel):
    tour_id: UUID
    day: date
    distance_m: int
    planned_at: datetime | None
    stops: list[CourierStopOut]
    returns: list[ReturnOut] = []
    """The courier's goods to bring back to their shops, of any day; their jobs are on no tour."""


@router.get("/couriers/me/tour", summary="My tour of today, stop by stop")
async def my_tour(courier: CurrentCourier, container: Container, db: ReadDb) -> CourierTourOut:
    planning = container.planning
    day = planning.today()
    tour_id = tour_id_of(courier.courier_id, day)
    tour = await BOARD.tour(db, tour_id)
    going_back = await BOARD.to_return(db, courier.courier_id)
    raw_stops = [] if tour is None else tour.stops
    merchant_ids = {UUID(raw["merchant_id"]) for raw in raw_stops if raw.get("merchant_id")}
    merchant_ids |= {pickup.merchant_id for board in going_back for pickup in board.job.open_pickups}
    shops = await container.merchants.merchants(db, merchant_ids)
    returns = [return_out(board.job, shops) for board in going_back]
    if tour is None:
        return CourierTourOut(tour_id=tour_id, day=day, distance_m=0, planned_at=None, stops=[], returns=returns)
    returning = {back.job_id for back in returns}
    stops = []
    for raw in tour.stops:
        job_id = UUID(raw["job_id"])
        if job_id in returning:
            continue  # its last attempt failed since the tour was written: its goods go back
        stop = CourierStopOut(
            kind=raw["kind"],
            job_id=job_id,
            arrives_at=datetime.fromisoformat(raw["arrives_at"]),
            load_after=raw["load_after"],
        )
        if raw["kind"] == "pickup" and raw.get("merchant_id"):
            stop.merchant_id = UUID(raw["merchant_id"])
            shop = shops.get(stop.merchant_id)
            stop.shop = None if shop is None else _shop_out(shop)
        elif raw["kind"] == "drop_off":
            job = await BOARD.job(db, job_id)
            if job is None or job.job.courier_id != courier.courier_id:
                continue  # moved to another courier since the tour was written: not theirs to see
            drop = await planning.drop_off(job_id)
            stop.door = None if drop is None else _door_out(drop)
        stops.append(stop)
    return CourierTourOut(
        tour_id=tour_id,
        day=day,
        distance_m=tour.distance_m,
        planned_at=tour.planned_at,
        stops=stops,
        returns=returns,
    )


def return_out(job: Delivery, shops: Mapping[UUID, ReplicatedMerchant]) -> ReturnOut:
    """The job's goods by shop (a shop's orders of the job together), in the job's order."""
    parcels: dict[UUID, int] = {}
    for pickup in job.open_pickups:
        parcels[pickup.merchant_id] = parcels.get(pickup.merchant_id, 0) + pickup.parcels
    return ReturnOut(
        job_id=job.job_id,
        attempts=job.attempts,
        shops=[
            ReturnShopOut(
                merchant_id=merchant_id,
                parcels=count,
                shop=None if (shop := shops.get(merchant_id)) is None else _shop_out(shop),
            )
            for merchant_id, count in parcels.items()
        ],
    )


def _shop_out(shop: ReplicatedMerchant) -> ShopOut:
    address, location = shop.address, shop.location
    return ShopOut(
        name=shop.name,
        street="" if address is None else address.street,
        postal_code="" if address is None else address.postal_code,
        city="" if address is None else address.city,
        phone=shop.phone,
        lat=None if location is None else location.lat,
        lon=None if location is None else location.lon,
    )


def _door_out(drop: DeliveryDropOff) -> DoorOut:
    return DoorOut(
        name=drop.name,
        phone=drop.phone,
        street=drop.street,
        postal_code=drop.postal_code,
        city=drop.city,
        note=drop.note,
        lat=None if drop.pin is None else drop.pin.lat,
        lon=None if drop.pin is None else drop.pin.lon,
    )
