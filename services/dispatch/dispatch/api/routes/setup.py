# SPDX-License-Identifier: AGPL-3.0-or-later
"""The association sets up the town's delivery: courier services, their couriers and shifts,
a courier's token; a courier (or the association) says the courier stops mid-shift."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from dispatch.api.deps import Caller, Container, IdempotencyKey, ReadDb
from dispatch.api.setup_schemas import (
    CourierIn,
    CourierOut,
    CourierServiceCreated,
    CourierServiceIn,
    CourierServiceOut,
    CourierTokenOut,
    DropOutIn,
    DroppedOut,
    ShiftIn,
    ShiftOut,
)
from dispatch.app.setup import AddCourier, RegisterCourierService, ScheduleShift

router = APIRouter(tags=["set-up"])


@router.post("/courier-services", status_code=status.HTTP_201_CREATED)
async def register_courier_service(
    body: CourierServiceIn,
    caller: Caller,
    container: Container,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> CourierServiceCreated:
    """The association registers a courier service that delivers in the town. A retry with the
    same Idempotency-Key answers 200 with the same service."""
    service, created = await container.setup.register_service(
        caller, RegisterCourierService(body.name, body.phone, idempotency_key)
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return CourierServiceCreated(courier_service_id=service.courier_service_id, name=service.name, phone=service.phone)


@router.get("/courier-services")
async def courier_services(caller: Caller, container: Container, db: ReadDb) -> list[CourierServiceOut]:
    """The town's courier services with their couriers (removed ones marked inactive) and the
    shifts not yet over (the association's; a moment behind what was just set)."""
    caller.association()
    listed = await container.roster.services(db, shifts_after=container.setup.clock.now())
    return [
        CourierServiceOut(
            courier_service_id=service.courier_service_id,
            name=service.name,
            phone=service.phone,
            couriers=[CourierOut(**vars(courier)) for courier in service.couriers],
            shifts=[
                ShiftOut(
                    shift_id=shift.shift_id,
                    courier_id=shift.courier_id,
                    starts_at=shift.starts_at,
                    ends_at=shift.ends_at,
                    start=shift.start,
                    dropped_out_at=shift.dropped_out_at,
                    drop_out_position=shift.drop_out_position,
                )
                for shift in service.shifts
            ],
        )
        for service in listed
    ]


@router.post("/courier-services/{courier_service_id}/couriers", status_code=status.HTTP_201_CREATED)
async def add_courier(
    courier_service_id: UUID,
    body: CourierIn,
    caller: Caller,
    container: Container,
    idempotency_key: IdempotencyKey = None,
) -> CourierOut:
    """The association adds a courier to a courier service; with `email`, the courier signs in
    by a link mailed there (`POST /couriers/sign-in-links`)."""
    courier = await container.setup.add_courier(
        caller,
        AddCourier(
            courier_service_id, body.display_name, body.vehicle, body.capacity, idempotency_key, email=body.email
        ),
    )
    return CourierOut(
        courier_id=courier.courier_id,
        courier_service_id=courier_service_id,
        display_name=courier.display_name,
        vehicle=courier.vehicle,
        capacity=courier.capacity,
        active=not courier.removed,
    )


@router.delete("/courier-services/{courier_service_id}/couriers/{courier_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_courier(courier_service_id: UUID, courier_id: UUID, caller: Caller, container: Container) -> None:
    """The courier no longer rides for the town: no more shifts, and their token is refused."""
    await container.setup.remove_courier(caller, courier_service_id, courier_id)


@router.post("/courier-services/{courier_service_id}/couriers/{courier_id}/shifts", status_code=status.HTTP_201_CREATED)
async def schedule_shift(
    courier_service_id: UUID,
    courier_id: UUID,
    body: ShiftIn,
    caller: Caller,
    container: Container,
    idempotency_key: IdempotencyKey = None,
) -> ShiftOut:
    """A shift of at most 14 hours, overlapping none of the courier's others."""
    shift = await container.setup.schedule_shift(
        caller,
        ScheduleShift(
            courier_service_id, courier_id, body.starts_at, body.ends_at, body.start.to_geo(), idempotency_key
        ),
    )
    return ShiftOut(
        shift_id=shift.shift_id,
        courier_id=shift.courier_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        start=shift.start,
    )


@router.post("/couriers/{courier_id}/drop-out")
async def drop_out(courier_id: UUID, body: DropOutIn, caller: Caller, container: Container) -> DroppedOut:
    """The courier stops during their shift (the association, or the courier themself): the
    tours are planned again without them."""
    position = None if body.position is None else body.position.to_geo()
    at = await container.setup.drop_out(caller, courier_id, body.at, position)
    return DroppedOut(courier_id=courier_id, at=at)


@router.post("/couriers/{courier_id}/token", status_code=status.HTTP_201_CREATED)
async def courier_token(courier_id: UUID, caller: Caller, container: Container) -> CourierTokenOut:
    """A token the courier signs in with (the association hands it over); refused from the
    moment the courier is removed."""
    token = await container.setup.courier_token(caller, courier_id)
    return CourierTokenOut(token=token.token, expires_at=token.expires_at)
