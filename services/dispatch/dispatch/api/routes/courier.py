# SPDX-License-Identifier: AGPL-3.0-or-later
"""A courier on the road: scan an order's slip at its shop, hand the goods over at the door
(the recipient's name, a photo if one was taken), report a failed attempt, bring the goods
back; and the association's look at a delivery's proof photo.

A job that is not the calling courier's is a 404, whatever it is (nothing to learn about
others' deliveries); a step repeated after a lost answer is a 200 with nothing new, a
delivery told twice a 409. The proof photo's multipart body is limited as it arrives
(:func:`proof_photo_limit`, the kit's body limit, chunked bodies included) and the photo
is cleaned of its metadata by the kit before it is kept.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel, ConfigDict

from dispatch.api.deps import Caller, Container, CurrentCourier
from dispatch.app.courier import Delivered
from dispatch.domain.delivery import Delivery, Status
from dispatch.domain.errors import NotAllowed
from dispatch.settings import DispatchSettings
from downtown_events.dispatch import FailureReason
from downtown_events.runtime.http.body_limit import RouteLimit
from downtown_events.runtime.http.openapi import also_answers
from downtown_events.runtime.http.problems import ProblemRule
from downtown_events.runtime.photos import PhotoBusy, PhotoRejected, PhotoTooLarge
from downtown_events.text import SingleLine

router = APIRouter(tags=["courier"])

COURIER_PROBLEMS = [
    ProblemRule(PhotoRejected, 422, "Photo rejected", field="photo"),
    ProblemRule(PhotoTooLarge, 413, "Photo rejected", field="photo"),
    ProblemRule(PhotoBusy, 503, "Busy", headers=lambda busy: {"Retry-After": str(busy.retry_after)}),
]
"""The proof photo's refusals (the kit's photo errors), after the kit's domain problems."""

FORM_ALLOWANCE = 64 * 1024
"""The multipart form around the photo: boundaries, headers, the recipient's name."""


def proof_photo_limit(settings: DispatchSettings) -> RouteLimit:
    """A delivery's body may be as large as a proof photo plus its form, no larger."""
    limit = settings.max_proof_photo_bytes + FORM_ALLOWANCE
    return RouteLimit("POST", "/jobs/[^/]+/delivery", limit, "take the photo at a lower resolution")


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: UUID
    """What the QR code on the order's slip holds: the order's id."""


class FailureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: FailureReason


class PickupOut(BaseModel):
    order_id: UUID
    merchant_id: UUID
    picked_up: bool


class CourierJobOut(BaseModel):
    job_id: UUID
    status: Status
    attempts: int
    pickups: list[PickupOut]

    @classmethod
    def of(cls, job: Delivery) -> CourierJobOut:
        pickups = [
            PickupOut(order_id=p.order_id, merchant_id=p.merchant_id, picked_up=p.picked_up) for p in job.open_pickups
        ]
        return cls(job_id=job.job_id, status=job.status, attempts=job.attempts, pickups=pickups)


@router.post(
    "/couriers/me/pickups",
    summary="Scan an order's slip at its shop: the goods ride with me",
    openapi_extra=also_answers(404),  # a code of no order of the courier's
)
async def pick_up(body: ScanIn, courier: CurrentCourier, container: Container) -> CourierJobOut:
    """An order of another courier's job, of no job, or of another town is a 404; scanning
    it again is a 200 with nothing new."""
    return CourierJobOut.of(await container.courier.pick_up(courier.courier_id, body.code))


@router.post("/jobs/{job_id}/delivery", summary="Handed over at the door, with the recipient's name and a photo")
async def deliver(
    job_id: UUID,
    courier: CurrentCourier,
    container: Container,
    recipient_name: Annotated[SingleLine, Form(min_length=1, max_length=120)],
    photo: Annotated[UploadFile | None, File(description="The goods at the door: JPEG, PNG, WebP or HEIC")] = None,
) -> CourierJobOut:
    """Every order's goods must be with the courier. The photo is kept without its metadata
    (no place, no phone); a delivery told twice is a 409."""
    data = None if photo is None else await _read(photo, container.settings.max_proof_photo_bytes)
    # A form sent without choosing a file still carries an empty file part: no photo.
    handed_over = Delivered(recipient_name=recipient_name, photo=data or None)
    return CourierJobOut.of(await container.courier.deliver(courier.courier_id, job_id, handed_over))


@router.post("/jobs/{job_id}/failure", summary="Nobody took the goods")
async def fail_attempt(job_id: UUID, body: FailureIn, courier: CurrentCourier, container: Container) -> CourierJobOut:
    """The goods go back to their shops; by the town's terms the job is planned again for
    another attempt, or (its last attempt, a wrong address, a refusal) its orders end."""
    return CourierJobOut.of(await container.courier.fail_attempt(courier.courier_id, job_id, body.reason))


@router.post("/jobs/{job_id}/return", summary="The goods are back at their shops")
async def return_to_shops(job_id: UUID, caller: Caller, container: Container) -> CourierJobOut:
    """Told by the job's courier, or by the association when the courier cannot."""
    if caller.role not in ("courier", "association"):
        raise NotAllowed("only the job's courier or the town's association tells that the goods are back")
    courier_id = caller.courier() if caller.role == "courier" else None
    return CourierJobOut.of(await container.courier.return_to_shops(job_id, courier_id))


@router.get(
    "/jobs/{job_id}/proof.jpg",
    summary="A delivery's proof photo (the association's)",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
async def proof_photo(job_id: UUID, caller: Caller, container: Container) -> Response:
    caller.association()
    jpeg = await container.courier.proof_photo(job_id)
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


async def _read(upload: UploadFile, max_bytes: int) -> bytes:
    """At most ``max_bytes`` (+1 to notice more): the body limit already stopped a larger
    body, this stops a photo that fits the body only with the form's allowance."""
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PhotoTooLarge(f"the photo is larger than {max_bytes // (1024 * 1024)} MB; take a smaller one")
    return data
